// Renders every overlay (kubectl kustomize, with freshly generated secrets in a copy of k8s/)
// and checks what an operator applies: every manifest valid against the Kubernetes schemas
// and the CRDs', hardened workloads, references that resolve, the NATS cluster, the
// reachability rules, and every environment variable a service reads present in its
// ConfigMap/Secret and documented.
import { execFileSync, spawnSync } from 'node:child_process';
import { cpSync, existsSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { parseAllDocuments } from 'yaml';
import { kubectl, read, ROOT, serviceDirs, SERVICES, variablesByService } from './repo';

type Doc = { apiVersion: string; kind: string; metadata: { name: string; labels?: Record<string, string> }; spec?: any; data?: Record<string, string> };
const OVERLAYS = ['dev', 'prod'] as const;

function render(overlay: string): { text: string; docs: Doc[] } {
  const dir = mkdtempSync(join(tmpdir(), `parley-k8s-${overlay}-`));
  try {
    cpSync(join(ROOT, 'k8s'), join(dir, 'k8s'), { recursive: true, filter: (src) => !src.includes('/secrets') });
    cpSync(join(ROOT, 'scripts/k8s-secrets.mjs'), join(dir, 'scripts/k8s-secrets.mjs'));
    execFileSync(process.execPath, [join(dir, 'scripts/k8s-secrets.mjs'), overlay], { cwd: dir, stdio: 'pipe' });
    const text = execFileSync(kubectl(), ['kustomize', join(dir, 'k8s/overlays', overlay)], { encoding: 'utf8', stdio: ['ignore', 'pipe', 'pipe'], maxBuffer: 64 << 20 });
    return { text, docs: parseAllDocuments(text).map((d) => d.toJS() as Doc).filter(Boolean) };
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}

const rendered = Object.fromEntries(OVERLAYS.map((o) => [o, undefined])) as Record<(typeof OVERLAYS)[number], { text: string; docs: Doc[] } | undefined>;
const get = (o: (typeof OVERLAYS)[number]) => (rendered[o] ??= render(o));
const byKind = (docs: Doc[], kind: string) => docs.filter((d) => d.kind === kind);
const one = (docs: Doc[], kind: string, name: string) => {
  const d = docs.find((x) => x.kind === kind && x.metadata.name === name);
  if (!d) throw new Error(`no ${kind} ${name}`);
  return d;
};
const podSpec = (d: Doc): any => (d.kind === 'CronJob' ? d.spec.jobTemplate.spec.template.spec : d.spec.template.spec);
const workloads = (docs: Doc[]) => docs.filter((d) => ['Deployment', 'StatefulSet', 'Job', 'CronJob'].includes(d.kind));
const decode = (v: string) => Buffer.from(v.replace(/\s+/g, ''), 'base64').toString('utf8');

function parseQuantity(q: string): number {
  const m = /^(\d+(?:\.\d+)?)(Ki|Mi|Gi|Ti|k|M|G)?$/.exec(String(q));
  if (!m) throw new Error(`quantity ${q}`);
  const mult: Record<string, number> = { Ki: 1024, Mi: 1024 ** 2, Gi: 1024 ** 3, Ti: 1024 ** 4, k: 1e3, M: 1e6, G: 1e9 };
  return Number(m[1]) * (m[2] ? mult[m[2]] : 1);
}

describe.each(OVERLAYS)('k8s/overlays/%s', (overlay) => {
  it('renders, and every manifest is valid against the Kubernetes schemas and the CRDs', () => {
    const { text, docs } = get(overlay);
    expect(docs.length).toBeGreaterThan(40);
    const file = join(mkdtempSync(join(tmpdir(), 'parley-k8s-validate-')), `${overlay}.yaml`);
    writeFileSync(file, text);
    const r = spawnSync(process.execPath, [join(ROOT, 'ops/validate-manifests.mjs'), file], { encoding: 'utf8', cwd: ROOT });
    const result = JSON.parse(r.stdout || '{"errors":["no output: ' + r.stderr.replace(/"/g, "'") + '"]}');
    expect(result.errors).toEqual([]);
    expect(result.validated).toBe(docs.length);
  });

  it('runs every workload non-root, read-only, without capabilities, with a memory limit', () => {
    const { docs } = get(overlay);
    for (const w of workloads(docs)) {
      const pod = podSpec(w);
      expect([w.metadata.name, pod.securityContext?.runAsNonRoot]).toEqual([w.metadata.name, true]);
      expect(pod.securityContext?.seccompProfile?.type).toBe('RuntimeDefault');
      for (const c of pod.containers) {
        const where = `${w.kind}/${w.metadata.name}/${c.name}`;
        expect([where, c.securityContext?.readOnlyRootFilesystem, c.securityContext?.allowPrivilegeEscalation, c.securityContext?.capabilities?.drop]).toEqual([where, true, false, ['ALL']]);
        expect([where, typeof c.resources?.limits?.memory]).toEqual([where, 'string']);
        expect([where, c.image]).toEqual([where, expect.stringMatching(/:[\w.-]+$/)]);
      }
    }
  });

  it('gives every Deployment probes, a PodDisruptionBudget, and the stateless ones an HPA', () => {
    const { docs } = get(overlay);
    const pdbs = byKind(docs, 'PodDisruptionBudget');
    const hpas = byKind(docs, 'HorizontalPodAutoscaler');
    for (const d of byKind(docs, 'Deployment')) {
      if (d.metadata.labels?.['app.kubernetes.io/component'] === 'toolbox') {
        expect([d.metadata.name, d.spec.replicas]).toEqual([d.metadata.name, 0]); // the admin CLI's pod, scaled up by hand
        continue;
      }
      const c = d.spec.template.spec.containers[0];
      for (const probe of ['startupProbe', 'readinessProbe', 'livenessProbe']) expect([d.metadata.name, probe, !!c[probe]]).toEqual([d.metadata.name, probe, true]);
      const labels = d.spec.template.metadata.labels;
      const covered = pdbs.some((p) => Object.entries(p.spec.selector.matchLabels).every(([k, v]) => labels[k] === v));
      expect([d.metadata.name, 'pdb', covered]).toEqual([d.metadata.name, 'pdb', true]);
    }
    for (const s of ['gateway', 'roster', 'offline', 'archive', 'profile']) {
      const h = hpas.find((x) => x.spec.scaleTargetRef.name === s && x.spec.scaleTargetRef.kind === 'Deployment');
      expect([s, !!h]).toEqual([s, true]);
    }
    const nats = one(docs, 'StatefulSet', 'nats');
    expect(pdbs.some((p) => p.spec.selector.matchLabels['app.kubernetes.io/name'] === 'nats')).toBe(true);
    expect(nats.spec.template.spec.containers[0].startupProbe).toBeDefined();
  });

  it('resolves every ConfigMap, Secret and volume claim a workload names', () => {
    const { docs } = get(overlay);
    const names = (kind: string) => new Set(byKind(docs, kind).map((d) => d.metadata.name));
    const cms = names('ConfigMap'), secrets = names('Secret'), pvcs = names('PersistentVolumeClaim');
    const generated = new Set(['parley-tls']); // cert-manager writes it (Certificate.spec.secretName)
    for (const c of byKind(docs, 'Certificate')) expect(generated.has(c.spec.secretName)).toBe(true);
    for (const w of workloads(docs)) {
      const pod = podSpec(w);
      for (const c of pod.containers) {
        for (const e of c.envFrom ?? []) {
          if (e.configMapRef) expect([w.metadata.name, e.configMapRef.name, cms.has(e.configMapRef.name)]).toEqual([w.metadata.name, e.configMapRef.name, true]);
          if (e.secretRef) expect([w.metadata.name, e.secretRef.name, secrets.has(e.secretRef.name)]).toEqual([w.metadata.name, e.secretRef.name, true]);
        }
        for (const e of c.env ?? []) if (e.valueFrom?.secretKeyRef) expect(secrets.has(e.valueFrom.secretKeyRef.name)).toBe(true);
      }
      for (const v of pod.volumes ?? []) {
        if (v.configMap) expect([v.configMap.name, cms.has(v.configMap.name)]).toEqual([v.configMap.name, true]);
        if (v.secret) expect([v.secret.secretName, secrets.has(v.secret.secretName) || generated.has(v.secret.secretName)]).toEqual([v.secret.secretName, true]);
        if (v.persistentVolumeClaim) expect([v.persistentVolumeClaim.claimName, pvcs.has(v.persistentVolumeClaim.claimName)]).toEqual([v.persistentVolumeClaim.claimName, true]);
      }
    }
    for (const c of byKind(docs, 'Cluster')) {
      for (const r of c.spec.managed?.roles ?? []) expect([r.name, secrets.has(r.passwordSecret.name)]).toEqual([r.name, true]);
      expect(secrets.has(c.spec.bootstrap.initdb.secret.name)).toBe(true);
    }
  });

  it('runs the admin CLI\'s toolbox as the bus admin with the gateway database', () => {
    const { docs } = get(overlay);
    const ctl = one(docs, 'Deployment', 'ctl');
    const c = ctl.spec.template.spec.containers[0];
    const env: Record<string, string> = {};
    for (const e of c.envFrom) {
      const src = e.configMapRef ? one(docs, 'ConfigMap', e.configMapRef.name) : one(docs, 'Secret', e.secretRef.name);
      for (const [k, v] of Object.entries(src.data ?? {})) env[k] = e.secretRef ? decode(v) : v; // the last source wins, as in Kubernetes
    }
    const natsSecret = byKind(docs, 'Secret').find((s) => s.metadata.name.startsWith('parley-nats-'))!;
    expect(env.NATS_USER).toBe('admin');
    expect(env.NATS_PASSWORD).toBe(decode(natsSecret.data!.PARLEY_NATS_ADMIN_PASSWORD));
    expect(env.GATEWAY_DATABASE_URL).toMatch(/parley_gateway/);
  });

  it('gives each service a Secret of its own holding its bus password, matching the one NATS reads', () => {
    const { docs } = get(overlay);
    const natsSecret = byKind(docs, 'Secret').find((s) => s.metadata.name.startsWith('parley-nats-'))!;
    for (const s of SERVICES) {
      const d = one(docs, 'Deployment', s);
      const refs = d.spec.template.spec.containers[0].envFrom.filter((e: any) => e.secretRef).map((e: any) => e.secretRef.name);
      expect(refs).toHaveLength(1);
      expect(refs[0]).toMatch(new RegExp(`^parley-${s}-`));
      const secret = one(docs, 'Secret', refs[0]);
      expect(Object.keys(secret.data!).sort()).not.toContain(`PARLEY_NATS_${s.toUpperCase()}_PASSWORD`);
      expect(decode(secret.data!.NATS_PASSWORD)).toBe(decode(natsSecret.data![`PARLEY_NATS_${s.toUpperCase()}_PASSWORD`]));
      expect(decode(secret.data![`${s.toUpperCase()}_DATABASE_URL`])).toMatch(new RegExp(`^postgres://[^:]+:[A-Za-z0-9]{20,}@[^/]+/parley_${s}(\\?|$)`));
    }
  });

  it('runs NATS as a three-node JetStream cluster with Parley\'s bus users', () => {
    const { docs } = get(overlay);
    const nats = one(docs, 'StatefulSet', 'nats');
    expect(nats.spec.replicas).toBe(3);
    expect(nats.spec.volumeClaimTemplates[0].metadata.name).toBe('data');
    const conf = byKind(docs, 'ConfigMap').find((c) => c.metadata.name.startsWith('parley-nats-config'))!;
    expect(conf.data!['nats.conf']).toMatch(/cluster \{[\s\S]*routes: \[[\s\S]*nats-0\.nats-headless:6222[\s\S]*nats-2\.nats-headless:6222/);
    expect(conf.data!['nats.conf']).toMatch(/jetstream \{/);
    expect(conf.data!['nats.conf']).toContain('include "auth.conf"');
    expect(conf.data!['auth.conf']).toBe(read('k8s/base/nats/auth.conf'));
    // nats-server itself accepts it, with the passwords of the overlay's Secret in its environment.
    const bin = [process.env.NATS_SERVER_BIN, ...(process.env.PATH ?? '').split(':').map((d) => join(d, 'nats-server')), '/usr/sbin/nats-server'].find((b) => b && existsSync(b));
    if (!bin) throw new Error('nats-server is needed (bash scripts/services.sh installs it)');
    const dir = mkdtempSync(join(tmpdir(), 'parley-nats-conf-'));
    for (const f of ['nats.conf', 'auth.conf']) writeFileSync(join(dir, f), conf.data![f]);
    const natsSecret = byKind(docs, 'Secret').find((x) => x.metadata.name.startsWith('parley-nats-'))!;
    const secretEnv = Object.fromEntries(Object.entries(natsSecret.data!).map(([k, v]) => [k, decode(v)]));
    const t = spawnSync(bin, ['-c', join(dir, 'nats.conf'), '-t'], { env: { PATH: process.env.PATH, POD_NAME: 'nats-0', ...secretEnv }, encoding: 'utf8' });
    rmSync(dir, { recursive: true, force: true });
    expect([t.status, t.stderr + t.stdout]).toEqual([0, expect.stringMatching(/is valid/)]);
    const headless = one(docs, 'Service', 'nats-headless');
    expect(headless.spec.clusterIP).toBe('None');
    const replicas = overlay === 'prod' ? '3' : '1';
    for (const s of SERVICES) {
      const cm = byKind(docs, 'ConfigMap').find((c) => c.metadata.name.startsWith(`parley-${s}-config-`))!;
      expect([s, cm.data!.NATS_STREAM_REPLICAS]).toEqual([s, replicas]);
    }
  });

  it('lets only the gateway and upload listeners be reached from outside, NATS and the database only from Parley', () => {
    const { docs } = get(overlay);
    const policies = byKind(docs, 'NetworkPolicy');
    const deny = policies.find((p) => Object.keys(p.spec.podSelector).length === 0 || Object.keys(p.spec.podSelector.matchLabels ?? {}).every((k) => k === 'app.kubernetes.io/part-of'));
    expect(deny?.spec.ingress ?? []).toEqual([]);
    const open = policies.filter((p) => (p.spec.ingress ?? []).some((r: any) => !r.from));
    expect(open.map((p) => p.spec.podSelector.matchLabels['app.kubernetes.io/name']).sort()).toEqual(['gateway', 'upload']);
    const natsPolicy = policies.find((p) => p.spec.podSelector.matchLabels?.['app.kubernetes.io/name'] === 'nats')!;
    const client = natsPolicy.spec.ingress.find((r: any) => r.ports.some((p: any) => p.port === 4222));
    expect(client.from).toEqual([{ podSelector: { matchLabels: { 'app.kubernetes.io/part-of': 'parley' } } }]);
    const db = policies.find((p) => ['postgres'].includes(p.spec.podSelector.matchLabels?.['app.kubernetes.io/name']) || p.spec.podSelector.matchLabels?.['cnpg.io/cluster'])!;
    const dbClient = db.spec.ingress.find((r: any) => r.ports.some((p: any) => p.port === 5432));
    expect(dbClient.from[0]).toEqual({ podSelector: { matchLabels: { 'app.kubernetes.io/part-of': 'parley' } } });
    // Outside: XMPP on a TCP load balancer, WebSocket and uploads through the Ingress with TLS.
    const lb = one(docs, 'Service', 'gateway');
    expect(lb.spec.type).toBe('LoadBalancer');
    expect(lb.spec.ports.map((p: any) => p.port).sort()).toEqual([5222, 5223]);
    for (const svc of byKind(docs, 'Service')) for (const p of svc.spec.ports) if (p.port === 8080) expect(svc.spec.clusterIP).toBe('None');
    const routes = byKind(docs, 'Ingress').flatMap((ing) => {
      expect(ing.spec.tls.map((t: any) => t.secretName)).toEqual(['parley-tls']);
      const hosts = new Set(ing.spec.tls.flatMap((t: any) => t.hosts));
      return ing.spec.rules.flatMap((r: any) => r.http.paths.map((p: any) => (expect(hosts.has(r.host)).toBe(true), `${r.host}${p.path} ${p.backend.service.name}`)));
    });
    const gwConfig = byKind(docs, 'ConfigMap').find((c) => c.metadata.name.startsWith('parley-gateway-config-'))!.data!;
    const uploadHost = new URL(byKind(docs, 'ConfigMap').find((c) => c.metadata.name.startsWith('parley-upload-config-'))!.data!.UPLOAD_PUBLIC_URL).host;
    // Behind the Ingress the gateway's listener speaks plain HTTP on the XMPP domain, uploads on UPLOAD_PUBLIC_URL's host.
    expect(gwConfig.WS_BEHIND_TLS_PROXY).toBe('true');
    expect(gwConfig.HTTP_PUBLIC_URL).toBe(`https://${gwConfig.XMPP_DOMAIN}`); // what host-meta announces
    expect(routes).toEqual(
      expect.arrayContaining([`${gwConfig.XMPP_DOMAIN}${gwConfig.WS_PATH} gateway-websocket`, `${gwConfig.XMPP_DOMAIN}/.well-known/host-meta gateway-websocket`, `${uploadHost}/ upload`]),
    );
    expect(new Set(routes.map((r) => r.split(' ')[1]))).toEqual(new Set(['gateway-websocket', 'upload']));
    const cert = one(docs, 'Certificate', 'parley-tls');
    expect([...cert.spec.dnsNames].sort()).toEqual([gwConfig.XMPP_DOMAIN, uploadHost].sort());
    expect(one(docs, 'Certificate', 'parley-tls').spec.secretName).toBe('parley-tls');
  });

  it('exposes federation on a load balancer and the component port inside the cluster only, as the gateway config says', () => {
    const { docs } = get(overlay);
    const cfg = byKind(docs, 'ConfigMap').find((c) => c.metadata.name.startsWith('parley-gateway-config-'))!.data!;
    const gw = one(docs, 'Deployment', 'gateway');
    const container = gw.spec.template.spec.containers[0];
    const containerPort = (name: string) => container.ports.find((p: any) => p.name === name)?.containerPort;
    const services = byKind(docs, 'Service').filter((s) => s.spec.selector?.['app.kubernetes.io/name'] === 'gateway');
    const servicesOf = (portName: string) => services.filter((s) => s.spec.ports.some((p: any) => p.targetPort === portName));
    const policies = byKind(docs, 'NetworkPolicy').filter((p) => p.spec.podSelector.matchLabels?.['app.kubernetes.io/name'] === 'gateway');
    const rulesFor = (port: number) => policies.flatMap((p) => p.spec.ingress.filter((r: any) => r.ports.some((x: any) => x.port === port)));

    // federation: on, listening on the pod's interfaces on the port the Deployment declares
    expect(cfg.S2S_ENABLED).toBe('true');
    expect(cfg.S2S_HOST).toBe('0.0.0.0');
    expect(containerPort('s2s')).toBe(Number(cfg.S2S_PORT));
    const s2s = servicesOf('s2s');
    expect(s2s.map((s) => [s.metadata.name, s.spec.type, s.spec.ports.map((p: any) => p.port)])).toEqual([['gateway-s2s', 'LoadBalancer', [5269]]]);
    expect(rulesFor(Number(cfg.S2S_PORT)).some((r: any) => !r.from)).toBe(true); // from anywhere
    // every replica shares one dialback secret (a remote server verifies keys at any of them)
    const secretName = container.envFrom.find((e: any) => e.secretRef).secretRef.name;
    expect(decode(one(docs, 'Secret', secretName).data!.S2S_DIALBACK_SECRET).length).toBeGreaterThanOrEqual(32);

    // components: the listener on the pod's interfaces, reachable only through a ClusterIP Service and labelled pods
    expect(cfg.COMPONENT_HOST).toBe('0.0.0.0');
    expect(containerPort('component')).toBe(Number(cfg.COMPONENT_PORT));
    expect(servicesOf('component').map((s) => [s.metadata.name, s.spec.type ?? 'ClusterIP', s.spec.ports.map((p: any) => p.port)])).toEqual([['gateway-component', 'ClusterIP', [5347]]]);
    const componentRules = rulesFor(Number(cfg.COMPONENT_PORT));
    expect(componentRules.length).toBeGreaterThan(0);
    // (kustomize's commonLabels add part-of=parley to the pod selector: a component's pods carry both labels)
    for (const r of componentRules) expect(r.from).toEqual([{ namespaceSelector: {}, podSelector: { matchLabels: { 'app.kubernetes.io/part-of': 'parley', 'parley.im/xmpp-component': 'true' } } }]);
    for (const svc of byKind(docs, 'Service')) {
      if (svc.spec.type === 'LoadBalancer' || svc.spec.type === 'NodePort') expect([svc.metadata.name, svc.spec.ports.some((p: any) => p.port === 5347 || p.targetPort === 'component')]).toEqual([svc.metadata.name, false]);
    }

    // and the other way round: every port the gateway declares is one of its listeners
    const listeners: Record<string, string> = { http: 'HTTP_PORT', c2s: 'C2S_PORT', 'c2s-tls': 'C2S_DIRECT_TLS_PORT', websocket: 'WS_PORT', s2s: 'S2S_PORT', component: 'COMPONENT_PORT' };
    for (const p of container.ports) expect([p.name, p.containerPort]).toEqual([p.name, Number(cfg[listeners[p.name]])]);
  });

  it('sizes the gateway: memory for MAX_CONNECTIONS, a grace period that outlasts its drain', () => {
    const { docs } = get(overlay);
    const gw = one(docs, 'Deployment', 'gateway');
    const cm = byKind(docs, 'ConfigMap').find((c) => c.metadata.name.startsWith('parley-gateway-config-'))!;
    const limit = parseQuantity(gw.spec.template.spec.containers[0].resources.limits.memory);
    // About 40 KiB per idle TLS connection (buffers, TLS state, session) plus the process itself.
    expect(limit).toBeGreaterThanOrEqual(Number(cm.data!.MAX_CONNECTIONS) * 40 * 1024 + 256 * 1024 ** 2);
    const grace = gw.spec.template.spec.terminationGracePeriodSeconds;
    const ms = (v: string) => {
      const m = /^(\d+)(ms|s|m|h)?$/.exec(v.trim());
      return m ? Number(m[1]) * { ms: 1, s: 1000, m: 60_000, h: 3_600_000 }[m[2] ?? 'ms']! : 0;
    };
    const drains = Object.entries(cm.data!).filter(([k]) => /DRAIN|SHUTDOWN/.test(k)).map(([, v]) => ms(v));
    expect(grace * 1000).toBeGreaterThan(Math.max(30_000, ...drains));
    expect(cm.data!.TLS_CERT_FILE).toBe('/tls/tls.crt');
  });

  it('backs up every service database and the upload volume, keeping backups a few days', () => {
    const { docs } = get(overlay);
    const cron = one(docs, 'CronJob', 'parley-backup');
    const pod = podSpec(cron);
    const c = pod.containers[0];
    const env = Object.fromEntries(c.env.map((e: any) => [e.name, e.value]));
    expect(Number(env.BACKUP_KEEP_DAYS)).toBeGreaterThanOrEqual(1);
    expect(Number(env.BACKUP_KEEP_DAYS)).toBeLessThanOrEqual(7);
    const secretRefs = c.envFrom.map((e: any) => e.secretRef?.name).filter(Boolean);
    for (const s of SERVICES) expect(secretRefs.some((n: string) => n.startsWith(`parley-${s}-`))).toBe(true);
    const mounts = Object.fromEntries(c.volumeMounts.map((m: any) => [m.mountPath, m.name]));
    const vol = (name: string) => pod.volumes.find((v: any) => v.name === name);
    expect(vol(mounts['/backup']).persistentVolumeClaim.claimName).toBe('parley-backup');
    expect(vol(mounts[env.UPLOAD_DIR]).persistentVolumeClaim.claimName).toBe('parley-uploads');
    const scripts = byKind(docs, 'ConfigMap').find((m) => m.metadata.name.startsWith('parley-backup-scripts'))!;
    expect(scripts.data!['backup.sh']).toBe(read('k8s/base/backup/backup.sh'));
  });

  it('puts every variable each service reads in its ConfigMap or its Secret, and documents it', () => {
    const { docs } = get(overlay);
    const vars = variablesByService();
    for (const s of SERVICES) {
      const d = one(docs, 'Deployment', s);
      const c = d.spec.template.spec.containers[0];
      const present = new Set<string>((c.env ?? []).map((e: any) => e.name));
      const secretKeys = new Set<string>();
      for (const e of c.envFrom) {
        const src = e.configMapRef ? one(docs, 'ConfigMap', e.configMapRef.name) : one(docs, 'Secret', e.secretRef.name);
        for (const k of Object.keys(src.data ?? {})) {
          present.add(k);
          if (e.secretRef) secretKeys.add(k);
        }
      }
      const missing = Object.keys(vars[s]).filter((k) => !present.has(k));
      expect([s, missing]).toEqual([s, []]);
      const misplaced = Object.entries(vars[s]).filter(([k, o]) => o.secret && !secretKeys.has(k)).map(([k]) => k);
      expect([s, 'secret in a ConfigMap', misplaced]).toEqual([s, 'secret in a ConfigMap', []]);
    }
  });
});

describe('Kubernetes configuration files', () => {
  it('cover every service of the repository in every deployment script', () => {
    const all = serviceDirs().sort();
    expect([...SERVICES].sort()).toEqual(all);
    const lists: Record<string, string[]> = {
      'scripts/k8s-config.mjs': JSON.parse(/SERVICES = (\[[^\]]+\])/.exec(read('scripts/k8s-config.mjs'))![1].replace(/'/g, '"')),
      'scripts/k8s-secrets.mjs': JSON.parse(/SERVICES = (\[[^\]]+\])/.exec(read('scripts/k8s-secrets.mjs'))![1].replace(/'/g, '"')),
      'scripts/migrate.mjs': JSON.parse(/SERVICES = (\[[^\]]+\])/.exec(read('scripts/migrate.mjs'))![1].replace(/'/g, '"')),
      'scripts/docker-entrypoint.sh': /^ {2}([a-z|]+)\)$/m.exec(read('scripts/docker-entrypoint.sh'))![1].split('|'),
      'k8s/base/backup/backup.sh': /BACKUP_SERVICES:-([a-z ]+)\}/.exec(read('k8s/base/backup/backup.sh'))![1].split(' '),
      'k8s/base/backup/restore.sh': /BACKUP_SERVICES:-([a-z ]+)\}/.exec(read('k8s/base/backup/restore.sh'))![1].split(' '),
    };
    for (const [file, list] of Object.entries(lists)) expect([file, [...list].sort()]).toEqual([file, all]);
  });

  it('are what the option declarations give (scripts/k8s-config.mjs --check)', () => {
    const r = spawnSync(process.execPath, ['scripts/k8s-config.mjs', '--check'], { cwd: ROOT, encoding: 'utf8' });
    expect(r.stderr).toBe('');
    expect(r.status).toBe(0);
  });

  it('document every variable a service reads (README.md or the service README)', () => {
    const vars = variablesByService();
    for (const s of SERVICES) {
      const docs = read('README.md') + (s === 'gateway' ? '' : read(`services/${s}/README.md`));
      const undocumented = Object.keys(vars[s]).filter((k) => !docs.includes(`\`${k}\``) && !docs.includes(`\`${k.replace(new RegExp(`^${s.toUpperCase()}_`), '<SERVICE>_')}\``));
      expect([s, undocumented]).toEqual([s, []]);
    }
  });

  it('commit no secret values and no placeholders for them', () => {
    const tracked = execFileSync('git', ['ls-files', 'k8s', 'docker-compose.yml'], { cwd: ROOT, encoding: 'utf8' }).split('\n').filter(Boolean);
    expect(tracked.filter((f) => f.includes('/secrets/'))).toEqual([]);
    for (const f of tracked) expect([f, /change-me/i.test(read(f))]).toEqual([f, false]);
    for (const d of parseAllDocuments(tracked.filter((f) => f.endsWith('.yaml')).map(read).join('\n---\n'))) {
      const doc = d.toJS() as Doc | null;
      if (doc?.kind === 'Secret') throw new Error(`a Secret is committed: ${doc.metadata.name}`);
    }
  });
});
