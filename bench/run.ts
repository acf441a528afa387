// `npm run bench`: measures the gateway on localhost — logins per second, one-to-one
// message throughput across two gateway processes (NATS) and within one, memory per
// idle authenticated connection — plus the XML parser and archive query benchmarks
// when their owners provide them. Prints tables and writes bench/results/latest.json.
//
// The run does its own setup (scratch database, own NATS namespace, gateways on free
// ports) and undoes it, also on failure or Ctrl-C. Every loop is bounded in count and
// time. Speed is measured here, never asserted.
import { randomBytes } from 'node:crypto';
import { cpus, loadavg, tmpdir, totalmem } from 'node:os';
import { existsSync, mkdirSync, mkdtempSync, readdirSync, readFileSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { ALL_STREAMS } from '@parley/contracts';
import { Bus } from '@parley/nats';
import { createTestDatabase, testInfra, TestDatabase, uniqueNamespace } from '@parley/testing-stack';
import { ServiceProcess, spawnService } from '@parley/testing-xmpp';
import { archiveBench, ExtraResult, parserBench } from './src/extras';
import { askProfiler, BenchGateway, readMetric, spawnBenchGateway, started } from './src/gateway';
import { Credentials, LoginRunResult, runLogins } from './src/login-bench';
import { heapGrowth, HeapGrowth } from './src/heap-diff';
import { MemoryRunResult, runMemory } from './src/memory-bench';
import { registerAccounts } from './src/registration';
import { MessageSweepResult, runMessageSweep } from './src/message-bench';
import { CpuGroup, CpuMeter, openFilesLimit, pidsByComm } from './src/proc';
import { ProfileSummary, summarizeProfile } from './src/profile-summary';
import { RosterBenchResult, runRosterBench } from './src/roster-bench';
import { cpuCell, fmt, table } from './src/report';
import { formatUploadBench, runUploadBench, UploadBackendResult } from './src/upload-bench';
import { ScramKeyCache } from './src/scram-client';

const ROOT = resolve(__dirname, '..', '..');
const DOMAIN = 'localhost';

// ---- options ---------------------------------------------------------------

interface Options {
  quick: boolean;
  only: Set<string>;
  profile: boolean;
  heapSnapshots: boolean;
  loginSeconds: number;
  loginConcurrency: number;
  pairs: number;
  rates: number[];
  stepSeconds: number;
  idleConnections: number;
}

function parseArgs(argv: string[]): Options {
  const get = (name: string) => argv.find((a) => a.startsWith(`--${name}=`))?.split('=')[1];
  const has = (name: string) => argv.includes(`--${name}`);
  const quick = has('quick');
  const num = (name: string, dflt: number, min: number, max: number) => {
    const v = get(name);
    if (v === undefined) return dflt;
    const n = Number(v);
    if (!Number.isFinite(n) || n < min || n > max) throw new Error(`--${name} must be a number within ${min}..${max}`);
    return n;
  };
  if (has('help')) {
    console.log(`usage: npm run bench -- [--quick] [--only=login,messages,same,memory,roster,parser,archive,upload] [--profile] [--heap-snapshots]
  [--login-seconds=10] [--concurrency=50] [--pairs=200] [--rates=1000,2000,5000,10000,15000,20000,30000]
  [--step-seconds=5] [--idle=2000]`);
    process.exit(0);
  }
  const rates = get('rates')
    ?.split(',')
    .map(Number)
    .filter((n) => Number.isFinite(n) && n > 0 && n <= 1_000_000);
  const parts = ['login', 'messages', 'same', 'memory', 'roster', 'parser', 'archive', 'upload'];
  const only = new Set((get('only') ?? parts.join(',')).split(','));
  for (const p of only) if (!parts.includes(p)) throw new Error(`--only: unknown part "${p}" (parts: ${parts.join(', ')})`);
  return {
    quick,
    only,
    profile: has('profile'),
    heapSnapshots: has('heap-snapshots'),
    loginSeconds: num('login-seconds', quick ? 3 : 10, 1, 300),
    loginConcurrency: num('concurrency', 50, 1, 1000),
    pairs: num('pairs', quick ? 50 : 200, 1, 2000),
    rates: rates?.length ? rates.sort((a, b) => a - b) : quick ? [1000, 2000, 5000] : [1000, 2000, 5000, 10000, 15000, 20000, 30000],
    stepSeconds: num('step-seconds', quick ? 2 : 5, 1, 60),
    idleConnections: num('idle', quick ? 500 : 2000, 1, 100_000),
  };
}

// ---- lifecycle -------------------------------------------------------------

const log = (s: string) => process.stderr.write(`${s}\n`);
const delay = (ms: number) => new Promise((r) => setTimeout(r, ms));

let db: TestDatabase | undefined;
let rosterDb: TestDatabase | undefined;
let rosterService: ServiceProcess | undefined;
let natsInfo: { url: string; namespace: string } | undefined;
let cleaning: Promise<void> | undefined;
let scratchDir: string | undefined;

/** Stops every gateway, deletes the namespace's streams and drops the scratch database. Idempotent. */
function cleanup(): Promise<void> {
  cleaning ??= (async () => {
    await Promise.all([...started].map((g) => g.stop(5000).catch(() => undefined)));
    await rosterService?.stop().catch(() => undefined);
    if (natsInfo) {
      try {
        const bus = await Promise.race([
          Bus.connect({ url: natsInfo.url, name: 'bench-cleanup', namespace: natsInfo.namespace }),
          delay(5000).then(() => {
            throw new Error('NATS connect timed out');
          }),
        ]);
        await bus.deleteStreams(ALL_STREAMS);
        await bus.close();
      } catch (e) {
        log(`[bench] could not delete the namespace's streams: ${(e as Error).message}`);
      }
    }
    if (scratchDir) rmSync(scratchDir, { recursive: true, force: true }); // generated certificates and keys
    for (const d of [db, rosterDb]) {
      if (!d) continue;
      try {
        await d.drop();
        log(`[bench] dropped scratch database ${d.name}`);
      } catch (e) {
        log(`[bench] could not drop ${d.name}: ${(e as Error).message}`);
      }
    }
  })();
  return cleaning;
}

for (const sig of ['SIGINT', 'SIGTERM'] as const) {
  process.once(sig, () => {
    log(`[bench] ${sig}: cleaning up`);
    void cleanup().finally(() => process.exit(130));
  });
}

// ---- the run ---------------------------------------------------------------

interface Results {
  startedAt: string;
  finishedAt?: string;
  machine: { cpus: number; cpuModel: string; memoryMiB: number; node: string; loadAverage1m: number; openFilesLimit: number };
  caveat: string;
  options: Omit<Options, 'only'> & { only: string[] };
  registration?: { accounts: number; failed: number; perSecond: number };
  logins?: Array<LoginRunResult & { label: string; gateway: string }>;
  messages?: MessageSweepResult[];
  memory?: Array<MemoryRunResult & { transport: string; connectionsNote: string; heapGrowth?: HeapGrowth[] }>;
  roster?: RosterBenchResult;
  parser?: ExtraResult<unknown>;
  archive?: ExtraResult<unknown>;
  upload?: UploadBackendResult[] | { error: string };
  profiles?: Record<string, ProfileSummary>;
  errors: string[];
}

async function main(): Promise<number> {
  const o = parseArgs(process.argv.slice(2));
  const resultsDir = join(ROOT, 'bench', 'results');
  mkdirSync(resultsDir, { recursive: true });
  const fdLimit = openFilesLimit();
  const caveat =
    `${cpus().length} CPU cores shared by everything: the load generator (this process), the gateway processes, ` +
    'NATS and Postgres all run on this machine, so the generator takes CPU from the server and every figure is a floor ' +
    'for this hardware, not a capacity of the design. Localhost only: no network latency.';
  const results: Results = {
    startedAt: new Date().toISOString(),
    machine: { cpus: cpus().length, cpuModel: cpus()[0]?.model ?? '?', memoryMiB: Math.round(totalmem() / 2 ** 20), node: process.version, loadAverage1m: loadavg()[0], openFilesLimit: fdLimit },
    caveat,
    options: { ...o, only: [...o.only] },
    errors: [],
  };
  const writeResults = () => {
    results.finishedAt = new Date().toISOString();
    writeFileSync(join(resultsDir, 'latest.json'), JSON.stringify(results, null, 2) + '\n');
  };
  log(`[bench] ${caveat}`);
  if (results.machine.loadAverage1m > cpus().length * 0.5) log(`[bench] warning: load average ${results.machine.loadAverage1m.toFixed(1)} before starting — other work on this machine skews the figures`);

  const infra = await testInfra();
  db = await createTestDatabase('bench');
  const namespace = uniqueNamespace('bench');
  natsInfo = { url: infra.natsUrl, namespace };
  // The roster service runs as in a deployment: every gateway asks it at login and presence.
  rosterDb = await createTestDatabase('bench_roster');
  rosterService = await spawnService(
    'roster',
    { NATS_URL: infra.natsUrl, NATS_NAMESPACE: namespace, ROSTER_DATABASE_URL: rosterDb.url },
    (rec) => rec.msg === 'Nest application successfully started',
  );
  const dataDir = (scratchDir = mkdtempSync(join(tmpdir(), 'parley-bench-')));
  const profileDir = join(resultsDir, 'profiles');
  if (o.profile) {
    rmSync(profileDir, { recursive: true, force: true });
    mkdirSync(profileDir, { recursive: true });
  }
  const hook = join(ROOT, 'dist', 'bench', 'src', 'cpu-profile-hook.js');
  const gatewayEnv = {
    REGISTRATION_LIMIT: '1000000',
    AUTH_FAILURES_PER_ADDRESS: '100000',
    AUTH_FAILURES_PER_ACCOUNT: '100000',
  };
  const spawnGw = (name: string, env: Record<string, string> = {}, nodeArgs: string[] = []) =>
    spawnBenchGateway({
      name,
      root: ROOT,
      natsUrl: infra.natsUrl,
      namespace,
      databaseUrl: db!.url,
      dataDir,
      env: { ...gatewayEnv, ...env, ...(o.profile ? { BENCH_PROFILE_DIR: profileDir, BENCH_PROFILE_NAME: name } : {}) },
      nodeArgs: [...(o.profile ? ['--require', hook] : []), ...nodeArgs],
      ipc: o.profile,
    });

  // profiling windows, driven over IPC (see src/cpu-profile-hook.ts)
  const profiles: Record<string, ProfileSummary> = {};
  const profileStart = async (gws: BenchGateway[]) => {
    if (!o.profile) return;
    for (const g of gws) {
      const r = await askProfiler(g, 'bench:profile-start');
      if (!r.started) results.errors.push(`profiler of ${g.name} did not start: ${r.error ?? '?'}`);
    }
  };
  const profileStop = async (gws: BenchGateway[], label: string) => {
    if (!o.profile) return;
    for (const g of gws) {
      const r = await askProfiler(g, 'bench:profile-stop');
      if (!r.profile) {
        results.errors.push(`no CPU profile from ${g.name} for ${label}: ${r.error ?? '?'}`);
        continue;
      }
      profiles[`${label} / ${g.name}`] = summarizeProfile(JSON.parse(readFileSync(r.profile, 'utf8')));
    }
  };

  const cache = new ScramKeyCache();
  const pgPids = pidsByComm('postgres');
  const natsPids = pidsByComm('nats-server');
  const infraGroups: CpuGroup[] = [
    ...(natsPids.length ? [{ name: 'nats', pids: () => pidsByComm('nats-server') }] : []),
    ...(pgPids.length ? [{ name: 'postgres', pids: () => pidsByComm('postgres') }] : []),
  ];
  const meter = (gws: BenchGateway[]) => new CpuMeter([...gws.map((g) => ({ name: g.name, pids: () => [g.pid] })), ...infraGroups]);

  const needTwo = o.only.has('login') || o.only.has('messages') || o.only.has('same') || o.only.has('roster');
  let gwA: BenchGateway | undefined;
  let gwB: BenchGateway | undefined;
  const accounts = Math.max(2 * o.pairs, o.loginConcurrency, Math.min(500, o.idleConnections));
  const password = randomBytes(12).toString('base64url'); // one per run, never printed
  const users: Credentials[] = Array.from({ length: accounts }, (_, i) => ({ username: `bench${i}`, password: `${password}-${i}` }));

  if (needTwo || o.only.has('memory')) {
    log(`[bench] starting gateway A (STARTTLS required) and gateway B (TLS_REQUIRED=false), namespace ${namespace}`);
    gwA = await spawnGw('gwA');
    gwB = needTwo ? await spawnGw('gwB', { TLS_REQUIRED: 'false' }) : undefined;

    log(`[bench] registering ${accounts} accounts in-band (XEP-0077) on gateway A`);
    const reg = await registerAccounts({ port: gwA!.starttlsPort, domain: DOMAIN, users, concurrency: 8, log });
    const failed = reg.failed;
    results.registration = { accounts, failed, perSecond: reg.perSecond };
    log(`  ${accounts - failed} accounts in ${Math.round(reg.ms)} ms (${results.registration.perSecond}/s)`);
    if (failed > 0) throw new Error(`${failed} registrations failed; the figures would be meaningless`);
  }

  // ---- 1. logins per second ------------------------------------------------
  if (o.only.has('login') && gwA && gwB) {
    results.logins = [];
    const loginRun = async (label: string, gw: BenchGateway, starttls: boolean) => {
      log(`[bench] logins: SCRAM-SHA-1, ${label} on ${gw.name}, concurrency ${o.loginConcurrency}, ${o.loginSeconds} s`);
      await profileStart([gw]);
      const r = await runLogins({
        port: gw.starttlsPort,
        domain: DOMAIN,
        starttls,
        hash: 'sha1',
        users,
        concurrency: o.loginConcurrency,
        durationMs: o.loginSeconds * 1000,
        maxAttempts: 1_000_000,
        stepTimeoutMs: 10_000,
        cache,
        cpu: meter([gw]),
        alive: () => gw.proc.exitCode === null && gw.proc.signalCode === null,
      });
      if (gw.proc.exitCode !== null || gw.proc.signalCode !== null) throw new Error(`${gw.name} died during the login run:\n${gw.logTail().slice(-10).join('\n')}`);
      await profileStop([gw], `logins ${label}`);
      results.logins!.push({ ...r, label, gateway: gw.name });
      log(`  ${r.loginsPerSecond} logins/s (${r.completed} completed, ${r.failed} failed), p50 ${r.latencyMs.p50.toFixed(1)} ms, p99 ${r.latencyMs.p99.toFixed(1)} ms; cpu ${cpuCell(r.cpuPercent)}`);
      log(`  mean ms per stage: ${Object.entries(r.meanStageMs).map(([k, v]) => `${k} ${v}`).join(', ')}; generator loop delay p99 ${r.generatorLoopDelayP99Ms} ms`);
      for (const e of r.sampleErrors) log(`    failure: ${e}`);
      await delay(2000); // let closing sessions finish before the next figure
    };
    await loginRun('STARTTLS, RSA-2048 certificate (the generated default)', gwA, true);
    await loginRun('no TLS (TLS_REQUIRED=false)', gwB, false);
    // Same as the first, with an ECDSA P-256 certificate: shows what the server's RSA signature per handshake costs.
    const ecDir = join(dataDir, 'ecdsa');
    mkdirSync(ecDir, { recursive: true });
    const selfsigned = (await import('selfsigned')) as unknown as { generate: (a: unknown, o: unknown) => Promise<{ cert: string; private: string }> };
    const ec = await selfsigned.generate([{ name: 'commonName', value: DOMAIN }], { keyType: 'ec', curve: 'P-256', algorithm: 'sha256', days: 2 });
    writeFileSync(join(ecDir, 'cert.pem'), ec.cert);
    writeFileSync(join(ecDir, 'key.pem'), ec.private, { mode: 0o600 });
    const gwE = await spawnGw('gwE', { TLS_CERT_FILE: join(ecDir, 'cert.pem'), TLS_KEY_FILE: join(ecDir, 'key.pem') });
    try {
      await loginRun('STARTTLS, ECDSA P-256 certificate', gwE, true);
    } finally {
      await gwE.stop();
    }
  }

  // ---- 2. message throughput -------------------------------------------------
  const sweepCommon = {
    domain: DOMAIN,
    pairs: o.pairs,
    users,
    starttls: true,
    cache,
    rates: o.rates,
    stepMs: o.stepSeconds * 1000,
    drainMs: 3000,
    settleMs: 1000,
    maxLossPercent: 1,
    maxP99Ms: 1000,
    goodP99Ms: 100,
    log,
  };
  if (o.only.has('messages') && gwA && gwB) {
    const crossPairs = Math.floor(o.pairs / 2);
    log(`[bench] messages: ${o.pairs} pairs over two gateways, ${crossPairs} pairs crossing NATS, steps of ${o.stepSeconds} s`);
    await profileStart([gwA, gwB]);
    const r = await runMessageSweep({
      ...sweepCommon,
      label: 'two gateways',
      endpoints: [
        { name: gwA.name, port: gwA.starttlsPort },
        { name: gwB.name, port: gwB.starttlsPort },
      ],
      // pair i < crossPairs: sender and receiver on different gateways; else on the same one (alternating)
      placement: (i) => (i < crossPairs ? { sender: i % 2, receiver: 1 - (i % 2) } : { sender: i % 2, receiver: i % 2 }),
      cpu: meter([gwA, gwB]),
    });
    await profileStop([gwA, gwB], 'messages two gateways');
    (results.messages ??= []).push(r);
  }
  if (o.only.has('same') && gwA) {
    log(`[bench] messages: ${o.pairs} pairs all on gateway A (no NATS hop)`);
    await profileStart([gwA]);
    const r = await runMessageSweep({
      ...sweepCommon,
      label: 'one gateway',
      endpoints: [{ name: gwA.name, port: gwA.starttlsPort }],
      placement: () => ({ sender: 0, receiver: 0 }),
      cpu: meter(gwB ? [gwA, gwB] : [gwA]),
    });
    await profileStop([gwA], 'messages one gateway');
    (results.messages ??= []).push(r);
  }

  // ---- 3. presence fan-out with a large roster (before the memory part replaces gwA)
  if (o.only.has('roster') && gwA) {
    const contacts = users.slice(1, 1 + Math.min(200, users.length - 1));
    const online = Math.min(o.quick ? 20 : 100, contacts.length);
    log(`[bench] roster: ${contacts.length} mutual contacts, ${online} online, on ${gwA.name}`);
    const bus = await Bus.connect({ url: infra.natsUrl, name: 'bench-roster', namespace });
    try {
      results.roster = await runRosterBench({ port: gwA.starttlsPort, domain: DOMAIN, bus, user: users[0], contacts, online, iterations: o.quick ? 5 : 20, starttls: true, cache, timeoutMs: 20_000, log });
      const r = results.roster;
      log(`  login until ${r.online} presences: p50 ${r.loginWithPresenceMs.p50.toFixed(1)} ms, p99 ${r.loginWithPresenceMs.p99.toFixed(1)} ms; broadcast to ${r.online}: p50 ${r.broadcastMs.p50.toFixed(1)} ms, p99 ${r.broadcastMs.p99.toFixed(1)} ms`);
    } catch (e) {
      results.errors.push(`roster benchmark failed: ${(e as Error).message}`);
    } finally {
      await bus.close();
    }
  }
  // ---- 4. memory per idle connection (fresh gateway) ---------------------
  if (o.only.has('memory') && gwA) {
    await gwA.stop();
    await gwB?.stop();
    gwA = gwB = undefined;
    // the client holds N sockets and the gateway N more (same limit, inherited): leave room for both
    const maxByFd = Math.max(0, fdLimit - 512);
    const n = Math.min(o.idleConnections, maxByFd);
    const note =
      n < o.idleConnections
        ? `${n} sessions (asked ${o.idleConnections}; ulimit -n is ${fdLimit} and each side needs one descriptor per session)`
        : `${n} sessions (ulimit -n ${fdLimit})`;
    results.memory = [];
    // with TLS (what clients use), then without (gateway D, TLS_REQUIRED=false): the difference is TLS's share
    for (const [name, starttls] of [
      ['gwC', true],
      ['gwD', false],
    ] as const) {
      const transport = starttls ? 'STARTTLS' : 'no TLS';
      log(`[bench] memory: ${note} on a fresh gateway ${name} (${transport}), ${Math.min(n, users.length)} accounts`);
      const heapDir = join(resultsDir, 'heap', name);
      if (o.heapSnapshots) {
        rmSync(heapDir, { recursive: true, force: true });
        mkdirSync(heapDir, { recursive: true });
      }
      const gw = await spawnGw(name, starttls ? {} : { TLS_REQUIRED: 'false' }, o.heapSnapshots ? [`--heapsnapshot-signal=SIGUSR2`, `--diagnostic-dir=${heapDir}`] : []);
      try {
        const r = await runMemory({
          port: gw.starttlsPort,
          pids: () => [gw.pid],
          gateway: gw,
          domain: DOMAIN,
          users,
          connections: n,
          starttls,
          hash: 'sha1',
          cache,
          concurrency: 25,
          openBudgetMs: o.quick ? 30_000 : 120_000,
          settleMs: o.quick ? 2000 : 5000,
          warmupLogins: 100,
          log,
          heapSnapshot: o.heapSnapshots ? () => takeHeapSnapshot(gw, heapDir) : undefined,
        });
        const growth = r.heapSnapshots ? heapGrowth(r.heapSnapshots.before, r.heapSnapshots.after) : undefined;
        results.memory.push({ ...r, transport, connectionsNote: note, heapGrowth: growth });
        log(`  RSS ${r.rssBeforeKiB} KiB → ${r.rssAfterKiB} KiB with ${r.opened} sessions: ${r.kibPerConnection} KiB per connection`);
      } finally {
        await gw.stop();
      }
    }
  }
  await Promise.all([gwA?.stop(), gwB?.stop()]);

  // ---- 5./6. other engineers' benchmarks -----------------------------------
  if (o.only.has('parser')) {
    log('[bench] XML parser: benchParser(200000), best of 3');
    results.parser = await parserBench(ROOT, o.quick ? 50_000 : 200_000);
  }
  if (o.only.has('archive')) {
    log('[bench] archive query: benchArchiveQuery()');
    results.archive = await archiveBench(ROOT);
  }
  if (o.only.has('upload')) {
    log('[bench] uploads (XEP-0363 service): filesystem and S3 (s3rver) stores');
    try {
      results.upload = await runUploadBench({ largeBytes: (o.quick ? 32 : 256) * 1e6, concurrent: 100, smallBytes: 1024 * 1024, backends: ['fs', 's3'], log });
    } catch (e) {
      results.upload = { error: (e as Error).message };
    }
  }
  if (o.profile) results.profiles = profiles;

  writeResults();
  printReport(results);
  log(`[bench] results written to bench/results/latest.json${o.profile ? '; CPU profiles in bench/results/profiles/ (open in Chrome DevTools)' : ''}`);
  return 0;
}

// ---- report ----------------------------------------------------------------

function printReport(r: Results): void {
  const out: string[] = [];
  const m = r.machine;
  out.push('', `Parley benchmark — ${r.startedAt}`, `machine: ${m.cpus} × ${m.cpuModel}, ${m.memoryMiB} MiB, Node ${m.node}`, `CAVEAT: ${r.caveat}`,
    "CPU columns: % of one core per process over the step (a gateway is one Node.js thread, so ~100% is its ceiling); 'generator' is this process; 'other' is everything else busy on the machine, '!' when above 30% (figures skewed).",
    '');
  if (r.registration) out.push(`In-band registration (PBKDF2 for SHA-1 and SHA-256 keys, 8 at once): ${r.registration.perSecond} accounts/s`, '');
  if (r.logins?.length) {
    out.push(`1. Logins per second — full stream: connect, header, [STARTTLS], SCRAM-SHA-1, restart, bind, close; ${r.logins[0].concurrency} at once`);
    out.push(
      table(
        ['transport', 'gateway', 'logins/s', 'done', 'failed', 'p50 ms', 'p99 ms', 'CPU (% of one core)'],
        r.logins.map((x) => [x.label, x.gateway, fmt(x.loginsPerSecond), fmt(x.completed), fmt(x.failed), fmt(x.latencyMs.p50, 1), fmt(x.latencyMs.p99, 1), cpuCell(x.cpuPercent)]),
      ),
    );
    for (const x of r.logins) {
      const cpu = x.cpuPercent?.[x.gateway];
      const perLogin = cpu !== undefined && x.loginsPerSecond ? ` ≈ ${fmt((cpu * 10) / x.loginsPerSecond, 2)} ms of gateway CPU per login;` : '';
      out.push(`   ${x.gateway}:${perLogin} mean ms waiting per stage: ${Object.entries(x.meanStageMs).map(([k, v]) => `${k} ${v}`).join(', ')}`);
    }
    out.push('');
  }
  for (const s of r.messages ?? []) {
    out.push(`2. One-to-one messages — ${s.label}: ${s.pairs} pairs (${s.sessions} sessions, STARTTLS), ${s.crossPairs} pairs across gateways via NATS; latency send→receive`);
    out.push(
      table(
        ['offered/s', 'sent/s', 'lost', 'loss %', 'p50 ms', 'p99 ms', 'max ms', 'cross p99', 'same p99', 'gen lag p99', 'CPU (% of one core)'],
        s.steps.map((x) => [
          fmt(x.offeredRate),
          fmt(x.sentRate),
          fmt(x.lost),
          fmt(x.lossPercent, 2),
          fmt(x.latencyMs.p50, 1),
          fmt(x.latencyMs.p99, 1),
          fmt(x.latencyMs.max, 1),
          fmt(x.crossLatencyMs.p99, 1),
          fmt(x.sameLatencyMs.p99, 1),
          fmt(x.generatorLoopDelayP99Ms, 1),
          cpuCell(x.cpuPercent),
        ]),
      ),
    );
    out.push(`   highest rate with p99 < 100 ms and no loss: ${s.bestRate !== undefined ? `${fmt(s.bestRate)} msg/s` : 'none of the steps'}; stopped: ${s.stoppedBecause}`, '');
  }
  if (r.memory?.length) {
    out.push(`3. Memory per idle authenticated connection (fresh gateway, bound, silent; RSS = VmRSS): ${r.memory[0].connectionsNote}`);
    out.push(
      table(
        ['transport', 'sessions', 'RSS before KiB', 'RSS after KiB', 'KiB/conn', 'heap used before→after KiB', 'external before→after KiB', 'RSS after close KiB'],
        r.memory.map((x) => [
          x.transport,
          fmt(x.opened),
          fmt(x.rssBeforeKiB),
          fmt(x.rssAfterKiB),
          fmt(x.kibPerConnection, 1),
          `${fmt(x.heapUsedBeforeKiB)} → ${fmt(x.heapUsedAfterKiB)}`,
          `${fmt(x.externalBeforeKiB)} → ${fmt(x.externalAfterKiB)}`,
          fmt(x.rssAfterCloseKiB),
        ]),
      ),
      '',
    );
    for (const x of r.memory) {
      if (!x.heapGrowth || !x.opened) continue;
      out.push(`   ${x.transport}: V8 heap growth per session by kind of object (self sizes; snapshots in bench/results/heap/)`);
      out.push(
        ...table(
          ['kind', 'objects per session', 'bytes per session'],
          x.heapGrowth.map((g) => [g.kind.slice(0, 60), fmt(g.count / x.opened, 1), fmt(g.bytes / x.opened)]),
        )
          .split('\n')
          .map((l) => `   ${l}`),
        '',
      );
    }
  }
  if (r.roster) {
    const x = r.roster;
    out.push(`4. Presence with a large roster: ${x.contacts} mutual contacts, ${x.online} online, ${x.iterations} rounds (roster service running; one roster query per login)`);
    out.push(
      table(
        ['measure', 'p50 ms', 'p90 ms', 'p99 ms', 'max ms'],
        [
          [`login (STARTTLS, SCRAM) + initial presence until ${x.online} probe answers`, fmt(x.loginWithPresenceMs.p50, 1), fmt(x.loginWithPresenceMs.p90, 1), fmt(x.loginWithPresenceMs.p99, 1), fmt(x.loginWithPresenceMs.max, 1)],
          [`presence change until all ${x.online} contacts have it`, fmt(x.broadcastMs.p50, 1), fmt(x.broadcastMs.p90, 1), fmt(x.broadcastMs.p99, 1), fmt(x.broadcastMs.max, 1)],
        ],
      ),
      '',
    );
  }
  if (r.parser) {
    if (r.parser.status === 'ok') {
      const p = r.parser.result as { stanzasPerSecond: number; bytesPerSecond: number; stanzas: number; runs: number[] };
      out.push(`5. XML stream parser (benchParser, ${fmt(p.stanzas)} stanzas in 16 KiB chunks, best of 3): ${fmt(p.stanzasPerSecond)} stanzas/s, ${fmt(p.bytesPerSecond / 2 ** 20, 1)} MiB/s (runs: ${p.runs.map((v) => fmt(v)).join(', ')})`);
    } else out.push(`5. XML stream parser: ${r.parser.status === 'absent' ? `not run (${r.parser.file} absent)` : `failed: ${r.parser.error}`}`);
  }
  if (r.archive) {
    if (r.archive.status === 'ok') out.push(`6. Archive query (benchArchiveQuery, ${fmt(r.archive.ms)} ms):`, describe(r.archive.result));
    else out.push(`6. Archive query: ${r.archive.status === 'absent' ? `not run (${r.archive.file} absent)` : `failed: ${r.archive.error}`}`);
  }
  if (r.upload) {
    if (Array.isArray(r.upload)) out.push('7. Uploads (one large file PUT/GET with the service\'s memory; 100 uploads of 1 MiB at once, then 100 downloads):', ...formatUploadBench(r.upload).map((l) => `   ${l}`));
    else out.push(`7. Uploads: failed: ${r.upload.error}`);
  }
  if (r.profiles && Object.keys(r.profiles).length) {
    out.push(
      '',
      'CPU profiles of the gateways (self time, % of samples in the window). "busy" counts JS, GC and native code called from JS;',
      'native work outside JS (TLS decryption and handshakes on read, libuv) counts as idle to V8: compare busy with the CPU column.',
    );
    for (const [label, p] of Object.entries(r.profiles)) {
      out.push(`  ${label}: ${fmt(p.durationMs)} ms, busy ${p.busyPercent}%`);
      out.push(`    by area: ${p.areas.slice(0, 10).map((a) => `${a.area} ${a.percent}%`).join('; ')}`);
      out.push(`    top: ${p.topFunctions.slice(0, 8).map((f) => `${f.fn} ${f.percent}%`).join('; ')}`);
    }
  }
  if (r.errors.length) out.push('', 'Problems:', ...r.errors.map((e) => `  - ${e}`));
  console.log(out.join('\n'));
}

/** Prints whatever another benchmark returned: arrays of flat records as tables, other values as JSON. */
function describe(v: unknown): string {
  const isRecords = (x: unknown): x is Array<Record<string, unknown>> =>
    Array.isArray(x) && x.length > 0 && x.every((e) => !!e && typeof e === 'object' && !Array.isArray(e));
  if (isRecords(v)) {
    const keys = [...new Set(v.flatMap((x) => Object.keys(x)))];
    const cell = (c: unknown) => (typeof c === 'number' ? fmt(c, 2) : c && typeof c === 'object' ? JSON.stringify(c) : String(c ?? ''));
    return table(keys, v.map((x) => keys.map((k) => cell(x[k]))));
  }
  // { name: {flat record}, ... } reads best as a table with the name first
  const isRecordMap = (x: unknown): x is Record<string, Record<string, unknown>> =>
    !!x && typeof x === 'object' && !Array.isArray(x) && Object.keys(x).length > 0 && Object.values(x).every((e) => !!e && typeof e === 'object' && !Array.isArray(e) && Object.values(e).every((c) => typeof c !== 'object'));
  if (v && typeof v === 'object' && !Array.isArray(v)) {
    const scalars: Record<string, unknown> = {};
    const parts: string[] = [];
    for (const [k, val] of Object.entries(v)) {
      if (isRecords(val)) parts.push(`${k}:`, describe(val));
      else if (isRecordMap(val)) parts.push(`${k}:`, describe(Object.entries(val).map(([name, rec]) => ({ [k]: name, ...rec }))));
      else scalars[k] = val;
    }
    if (Object.keys(scalars).length) parts.unshift(JSON.stringify(scalars));
    return parts.join('\n');
  }
  return JSON.stringify(v, null, 2);
}

// ---- entry -----------------------------------------------------------------

const HARD_LIMIT_MS = 30 * 60_000;
const hardLimit = setTimeout(() => {
  log(`[bench] still running after ${HARD_LIMIT_MS / 60_000} min: giving up`);
  void cleanup().finally(() => process.exit(1));
}, HARD_LIMIT_MS);

main()
  .catch((e) => {
    log(`[bench] failed: ${(e as Error).stack ?? e}`);
    for (const g of started) log(`[bench] last log lines of ${g.name}:\n${g.logTail().slice(-10).join('\n')}`);
    return 1;
  })
  .then(async (code) => {
    await cleanup();
    clearTimeout(hardLimit);
    process.exit(code);
  });


/**
 * Makes a gateway started with `--heapsnapshot-signal=SIGUSR2` write a heap snapshot
 * into `dir` and resolves with its file once written (the gateway answers /metrics
 * again only after the synchronous write; bounded to two minutes).
 */
async function takeHeapSnapshot(gw: BenchGateway, dir: string): Promise<string> {
  const known = new Set(existsSync(dir) ? readdirSync(dir) : []);
  process.kill(gw.pid, 'SIGUSR2');
  const deadline = Date.now() + 120_000;
  for (;;) {
    await new Promise((r) => setTimeout(r, 500));
    const fresh = readdirSync(dir).filter((f) => f.endsWith('.heapsnapshot') && !known.has(f));
    if (fresh.length && (await readMetric(gw, 'nodejs_heap_size_used_bytes')) !== undefined) {
      const file = join(dir, fresh[0]);
      const size = statSync(file).size;
      await new Promise((r) => setTimeout(r, 300));
      if (statSync(file).size === size && size > 0) return file;
    }
    if (Date.now() > deadline) throw new Error(`no heap snapshot from ${gw.name} within two minutes`);
  }
}
