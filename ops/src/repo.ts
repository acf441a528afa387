// Helpers of the ops tests: the repository's files, the built services' option lists, kubectl.
import { execFileSync, spawnSync } from 'node:child_process';
import { existsSync, readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';

export const ROOT = join(__dirname, '../..');
export const SERVICES = ['gateway', 'roster', 'offline', 'archive', 'janitor', 'upload', 'profile'] as const;
export type Service = (typeof SERVICES)[number];
/** The services the repository holds (services/<name>/src/main.ts). */
export const serviceDirs = (): string[] => readdirSync(join(ROOT, 'services')).filter((d) => existsSync(join(ROOT, 'services', d, 'src/main.ts')));

export const read = (rel: string): string => readFileSync(join(ROOT, rel), 'utf8');

/** Builds dist/ when it is missing (the option lists come from the built declarations). */
export function ensureBuilt(): void {
  if (!existsSync(join(ROOT, 'dist/services/gateway/src/config/config.js'))) execFileSync(process.execPath, ['scripts/build.mjs'], { cwd: ROOT, stdio: 'ignore' });
}

/** Every environment variable each service reads, with whether it is secret (scripts/k8s-config.mjs). */
export function variablesByService(): Record<Service, Record<string, { secret: boolean; doc: string }>> {
  ensureBuilt();
  const script = `import(${JSON.stringify(join(ROOT, 'scripts/k8s-config.mjs'))}).then((m) => {
    const out = {};
    for (const s of m.SERVICES) out[s] = Object.fromEntries(Object.entries(m.variablesOf(s)).map(([k, o]) => [k, { secret: !!o.secret, doc: o.doc }]));
    process.stdout.write(JSON.stringify(out));
  })`;
  return JSON.parse(execFileSync(process.execPath, ['-e', script], { cwd: ROOT, encoding: 'utf8' }));
}

/** The kubectl to render with: $KUBECTL, else `kubectl` on the PATH (scripts/ensure-kube.sh installs Debian's). */
export function kubectl(): string {
  const bin = process.env.KUBECTL || 'kubectl';
  const probe = spawnSync(bin, ['version', '--client'], { encoding: 'utf8' });
  if (probe.status !== 0) throw new Error(`kubectl is needed to render the overlays: bash scripts/ensure-kube.sh (${probe.error?.message ?? probe.stderr})`);
  return bin;
}
