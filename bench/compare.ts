// `npm run bench -- --compare [--servers=parley,prosody,ejabberd] [--quick] [--repeat=N]`:
// the same scenarios against Parley, Debian's Prosody and Debian's ejabberd in one run,
// one server at a time, the order rotated on every repetition; prints one table per
// figure with each server's value (median over repetitions) and Parley's ratio to the
// best reference server, and writes bench/results/compare.json.
//
// Like-for-like: domain localhost, one self-signed RSA-2048 certificate per run for all
// three, SCRAM-SHA-1 with 4096 iterations, STARTTLS offered and not required, in-band
// registration without throttles, no rate limits, offline storage and stream management
// on (see libs/testing/peers/src/config.ts). Each server is started fresh for its turn, from its own
// scratch directory and loopback port, and stopped after it. Every loop is bounded in
// count and time; the run gives up after 30 minutes.
import { randomBytes } from 'node:crypto';
import { chmodSync, mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { cpus, loadavg, tmpdir, totalmem } from 'node:os';
import { join, resolve } from 'node:path';
import { ALL_STREAMS, OfflineStatsResult, OfflineSubjects } from '@parley/contracts';
import { Bus } from '@parley/nats';
import { createTestDatabase, testInfra, TestDatabase, uniqueNamespace } from '@parley/testing-stack';
import { ServiceProcess, spawnService } from '@parley/testing-xmpp';
import { comparisonTable, Figure, median, rotation } from './src/compare-report';
import { BenchGateway, spawnBenchGateway, started } from './src/gateway';
import { Credentials, LoginRunResult, runLogins } from './src/login-bench';
import { MemoryRunResult, runMemory } from './src/memory-bench';
import { registerAccounts } from './src/registration';
import { MessageSweepResult, runMessageSweep } from './src/message-bench';
import { offlineCommitWatch, OfflineRunResult, pingEachSender, runOfflineStoreDrain } from './src/offline-store-drain';
import { CpuMeter, openFilesLimit, pidsByComm } from './src/proc';
import { PeerServer, processTree, startedPeers, startEjabberd, startProsody } from '@parley/testing-peers';
import { ScramKeyCache } from './src/scram-client';
import type { LoggedIn } from './src/xmpp-conn';

const ROOT = resolve(__dirname, '..', '..');
const DOMAIN = 'localhost';
const SERVERS = ['parley', 'prosody', 'ejabberd'] as const;
type ServerName = (typeof SERVERS)[number];

interface Options {
  servers: ServerName[];
  quick: boolean;
  repeat: number;
  loginSeconds: number;
  concurrency: number;
  pairs: number;
  rates: number[];
  stepSeconds: number;
  idle: number;
  offlineMessages: number;
  gatewayWorkers: number;
}

function parseArgs(argv: string[]): Options {
  const get = (name: string) => argv.find((a) => a.startsWith(`--${name}=`))?.split('=')[1];
  const quick = argv.includes('--quick');
  const num = (name: string, dflt: number, min: number, max: number) => {
    const v = get(name);
    if (v === undefined) return dflt;
    const n = Number(v);
    if (!Number.isInteger(n) || n < min || n > max) throw new Error(`--${name} must be an integer within ${min}..${max}`);
    return n;
  };
  if (argv.includes('--help')) {
    console.log(`usage: npm run bench -- --compare [--servers=parley,prosody,ejabberd] [--quick] [--repeat=1]
  [--login-seconds=10] [--concurrency=50] [--pairs=100] [--rates=1000,2000,5000,10000,15000,20000] [--step-seconds=4] [--idle=2000] [--offline-messages=5000]
  [--gateway-workers=1]   Parley's GATEWAY_WORKERS (worker processes sharing the listeners)`);
    process.exit(0);
  }
  const servers = (get('servers') ?? SERVERS.join(',')).split(',').filter(Boolean);
  for (const s of servers) if (!(SERVERS as readonly string[]).includes(s)) throw new Error(`--servers: unknown server "${s}" (servers: ${SERVERS.join(', ')})`);
  const rates = get('rates')
    ?.split(',')
    .map(Number)
    .filter((n) => Number.isFinite(n) && n > 0 && n <= 1_000_000);
  return {
    servers: [...new Set(servers)] as ServerName[],
    quick,
    repeat: num('repeat', 1, 1, 10),
    loginSeconds: num('login-seconds', quick ? 3 : 10, 1, 120),
    concurrency: num('concurrency', quick ? 20 : 50, 1, 500),
    pairs: num('pairs', quick ? 25 : 100, 1, 1000),
    rates: rates?.length ? rates.sort((a, b) => a - b) : quick ? [1000, 2000, 4000, 8000] : [1000, 2000, 5000, 10000, 15000, 20000],
    stepSeconds: num('step-seconds', quick ? 2 : 4, 1, 30),
    idle: num('idle', quick ? 1000 : 2000, 1, 20_000),
    offlineMessages: num('offline-messages', quick ? 1000 : 5000, 0, 100_000),
    gatewayWorkers: num('gateway-workers', 1, 1, 16),
  };
}

const log = (s: string) => process.stderr.write(`${s}\n`);
const delay = (ms: number) => new Promise((r) => setTimeout(r, ms));

/** One server under test, whatever it is. */
interface Target {
  name: ServerName;
  port: number;
  /** Processes whose RSS and CPU are the server's. */
  pids: () => number[];
  /** Infrastructure the server needs besides its own processes (Parley: NATS and Postgres), for the whole-system memory figure. */
  infraPids?: () => number[];
  alive: () => boolean;
  /** How the server's main process ended (exit code or signal). */
  exitInfo: () => string;
  logTail: () => string[];
  gateway?: BenchGateway;
  /** Called before the offline part (Parley reads the offline service's count). */
  beforeOffline?: () => Promise<void>;
  /** Resolves once the server holds every offline message sent (see src/offline-store-drain.ts). */
  offlineStored: (senders: LoggedIn[], messages: number) => Promise<void>;
  stop: () => Promise<void>;
}

interface Turn {
  server: ServerName;
  repetition: number;
  registration?: { accounts: number; failed: number; perSecond: number };
  logins?: Array<LoginRunResult & { transport: 'no TLS' | 'STARTTLS'; coreSeconds?: number }>;
  messages?: MessageSweepResult;
  memory?: MemoryRunResult;
  offline?: OfflineRunResult;
  error?: string;
}

// ---- Parley's pieces shared by its turns ------------------------------------
let db: TestDatabase | undefined;
let rosterDb: TestDatabase | undefined;
let rosterService: ServiceProcess | undefined;
let offlineDb: TestDatabase | undefined;
let offlineService: ServiceProcess | undefined;
let bus: Bus | undefined;
let natsInfo: { url: string; namespace: string } | undefined;
let scratchDir: string | undefined;
let cleaning: Promise<void> | undefined;

function cleanup(): Promise<void> {
  cleaning ??= (async () => {
    await Promise.all([...started].map((g) => g.stop(5000).catch(() => undefined)));
    await Promise.all([...startedPeers].map((p) => p.stop(5000).catch(() => undefined)));
    await rosterService?.stop().catch(() => undefined);
    await offlineService?.stop().catch(() => undefined);
    await bus?.close().catch(() => undefined);
    if (natsInfo) {
      try {
        const bus = await Bus.connect({ url: natsInfo.url, name: 'bench-compare-cleanup', namespace: natsInfo.namespace });
        await bus.deleteStreams(ALL_STREAMS);
        await bus.close();
      } catch (e) {
        log(`[compare] could not delete the namespace's streams: ${(e as Error).message}`);
      }
    }
    if (scratchDir) rmSync(scratchDir, { recursive: true, force: true });
    for (const d of [db, rosterDb, offlineDb]) await d?.drop().catch((e: Error) => log(`[compare] could not drop ${d.name}: ${e.message}`));
  })();
  return cleaning;
}
for (const sig of ['SIGINT', 'SIGTERM'] as const) {
  process.once(sig, () => {
    log(`[compare] ${sig}: cleaning up`);
    void cleanup().finally(() => process.exit(130));
  });
}

async function main(): Promise<number> {
  const o = parseArgs(process.argv.slice(2));
  const resultsDir = join(ROOT, 'bench', 'results');
  mkdirSync(resultsDir, { recursive: true });
  const fdLimit = openFilesLimit();
  const idle = Math.min(o.idle, Math.max(1, fdLimit - 512));
  const startedAt = new Date().toISOString();
  const caveat =
    `${cpus().length} CPU cores shared by the load generator (this process), the server under test and, for Parley, NATS and Postgres ` +
    '(which other work on this machine also uses); localhost only. Servers run one at a time, fresh for each turn.';
  log(`[compare] servers ${o.servers.join(', ')}, ${o.repeat} repetition(s); ${caveat}`);

  scratchDir = mkdtempSync(join(tmpdir(), 'parley-compare-'));
  chmodSync(scratchDir, 0o711); // the reference servers run as their system users when this runs as root
  const selfsigned = (await import('selfsigned')) as unknown as { generate: (a: unknown, o: unknown) => Promise<{ cert: string; private: string }> };
  const pem = await selfsigned.generate([{ name: 'commonName', value: DOMAIN }], { keySize: 2048, algorithm: 'sha256', days: 2, extensions: [{ name: 'subjectAltName', altNames: [{ type: 2, value: DOMAIN }] }] });
  const certFile = join(scratchDir, 'cert.pem');
  const keyFile = join(scratchDir, 'key.pem');
  writeFileSync(certFile, pem.cert);
  writeFileSync(keyFile, pem.private, { mode: 0o600 });

  if (o.servers.includes('parley')) {
    const infra = await testInfra();
    db = await createTestDatabase('bench_cmp');
    rosterDb = await createTestDatabase('bench_cmp_roster');
    natsInfo = { url: infra.natsUrl, namespace: uniqueNamespace('benchcmp') };
    offlineDb = await createTestDatabase('bench_cmp_offline');
    // the services a login and an offline message use, as in a deployment
    const ready = (rec: { msg?: string }) => rec.msg === 'Nest application successfully started';
    rosterService = await spawnService('roster', { NATS_URL: infra.natsUrl, NATS_NAMESPACE: natsInfo.namespace, ROSTER_DATABASE_URL: rosterDb.url }, ready);
    offlineService = await spawnService('offline', { NATS_URL: infra.natsUrl, NATS_NAMESPACE: natsInfo.namespace, OFFLINE_DATABASE_URL: offlineDb.url }, ready);
    bus = await Bus.connect({ url: infra.natsUrl, name: 'bench-compare', namespace: natsInfo.namespace });
  }

  const start = async (name: ServerName, rep: number): Promise<Target> => {
    const dir = join(scratchDir!, `rep${rep}`);
    mkdirSync(dir, { recursive: true });
    chmodSync(dir, 0o711);
    if (name === 'parley') {
      const gw = await spawnBenchGateway({
        name: 'parley',
        root: ROOT,
        natsUrl: natsInfo!.url,
        namespace: natsInfo!.namespace,
        databaseUrl: db!.url,
        dataDir: dir,
        env: {
          TLS_REQUIRED: 'false',
          TLS_CERT_FILE: certFile,
          TLS_KEY_FILE: keyFile,
          SCRAM_ITERATIONS: '4096',
          REGISTRATION_LIMIT: '1000000',
          AUTH_FAILURES_PER_ADDRESS: '100000',
          AUTH_FAILURES_PER_ACCOUNT: '100000',
          GATEWAY_WORKERS: String(o.gatewayWorkers),
        },
      });
      const servicePids = [rosterService!.proc.pid!, offlineService!.proc.pid!];
      const offlineCount = async () => (await bus!.request<OfflineStatsResult>(OfflineSubjects.stats, {}, { timeoutMs: 10_000 })).messages;
      const commits = offlineCommitWatch(bus!, offlineCount, 180_000);
      return {
        name,
        port: gw.starttlsPort,
        pids: () => [...processTree(gw.pid), ...servicePids], // the gateway and its workers, if any
        // this machine's NATS and Postgres (the bench's own scratch databases and namespace on them; nothing else runs meanwhile)
        infraPids: () => [...pidsByComm('nats-server'), ...pidsByComm('postgres')],
        beforeOffline: () => commits.start(),
        offlineStored: (_senders, messages) => commits.stored(messages),
        alive: () => gw.proc.exitCode === null && gw.proc.signalCode === null,
        exitInfo: () => `exit code ${gw.proc.exitCode}, signal ${gw.proc.signalCode}`,
        logTail: () => gw.logTail(),
        gateway: gw,
        stop: () => gw.stop(),
      };
    }
    const opts = { domain: DOMAIN, scratchDir: dir, certFile, keyFile, scramIterations: 4096 };
    const p: PeerServer = name === 'prosody' ? await startProsody(opts) : await startEjabberd(opts);
    // both store an offline message while handling it in the sender's session: a ping answered on each sender's stream means all are stored
    return { name, port: p.port, pids: p.pids, alive: p.alive, exitInfo: p.exitInfo, logTail: p.logTail, offlineStored: pingEachSender(DOMAIN, 180_000), stop: () => p.stop() };
  };

  const accounts = Math.max(2 * o.pairs, o.concurrency, Math.min(idle, 300), 55); // offline: 50 recipients, 5 senders
  const password = randomBytes(12).toString('base64url'); // one per run, never printed
  const turns: Turn[] = [];
  const cache = new ScramKeyCache();

  for (let rep = 0; rep < o.repeat; rep++) {
    for (const name of rotation(o.servers, rep)) {
      const turn: Turn = { server: name, repetition: rep };
      turns.push(turn);
      log(`[compare] repetition ${rep + 1}/${o.repeat}: ${name}`);
      let t: Target | undefined;
      try {
        t = await start(name, rep);
        const target = t;
        const cpu = () => new CpuMeter([{ name, pids: target.pids }]);
        // accounts are per turn (Parley's database outlives a turn)
        const users: Credentials[] = Array.from({ length: accounts }, (_, i) => ({ username: `r${rep}u${i}`, password: `${password}-${i}` }));
        const reg = await registerAccounts({ port: target.port, domain: DOMAIN, users, concurrency: 8, maxFailures: 20, log });
        const failed = reg.failed;
        turn.registration = { accounts, failed, perSecond: reg.perSecond };
        log(`  registered ${accounts - failed} accounts in-band: ${turn.registration.perSecond}/s`);
        if (failed) throw new Error(`${failed} registrations failed`);

        turn.logins = [];
        for (const starttls of [false, true]) {
          const r = await runLogins({ port: target.port, domain: DOMAIN, starttls, hash: 'sha1', users, concurrency: o.concurrency, durationMs: o.loginSeconds * 1000, maxAttempts: 1_000_000, stepTimeoutMs: 10_000, cache, cpu: cpu(), alive: target.alive });
          if (!target.alive()) throw new Error(`${name} died during the login run`);
          const serverCpu = r.cpuPercent?.[name];
          const coreSeconds = serverCpu !== undefined ? (serverCpu / 100) * (r.elapsedMs / 1000) : undefined;
          turn.logins.push({ ...r, transport: starttls ? 'STARTTLS' : 'no TLS', coreSeconds });
          log(`  logins ${starttls ? 'STARTTLS' : 'no TLS'}: ${r.loginsPerSecond}/s (${r.failed} failed), p99 ${r.latencyMs.p99.toFixed(1)} ms, cpu ${JSON.stringify(r.cpuPercent)}`);
          await delay(1500);
        }

        turn.messages = await runMessageSweep({
          label: name,
          domain: DOMAIN,
          endpoints: [{ name, port: target.port }],
          placement: () => ({ sender: 0, receiver: 0 }),
          pairs: o.pairs,
          users,
          starttls: true,
          cache,
          rates: o.rates,
          stepMs: o.stepSeconds * 1000,
          drainMs: 2000,
          settleMs: 1000,
          maxLossPercent: 1,
          maxP99Ms: 1000,
          goodP99Ms: 100,
          cpu: cpu(),
          log,
        });
        log(`  messages: best ${turn.messages.bestRate ?? 'none'} msg/s (${turn.messages.stoppedBecause})`);
        await delay(1500);

        // memory on a freshly started server (same data: the accounts stay), so the garbage of
        // the load so far is not in the baseline; then the offline part on it
        await t.stop();
        t = undefined;
        t = await start(name, rep);
        const fresh = t;
        turn.memory = await runMemory({
          port: fresh.port,
          pids: fresh.pids,
          infraPids: fresh.infraPids,
          gateway: fresh.gateway,
          domain: DOMAIN,
          users,
          connections: idle,
          starttls: true,
          hash: 'sha1',
          cache,
          concurrency: 25,
          openBudgetMs: o.quick ? 30_000 : 90_000,
          settleMs: o.quick ? 2000 : 4000,
          warmupLogins: 50,
          log,
        });
        log(`  memory: ${turn.memory.kibPerConnection} KiB per idle STARTTLS session (${turn.memory.opened} sessions)`);
        if (turn.memory.infraKibPerConnection !== undefined) log(`    NATS and Postgres (PSS): ${turn.memory.infraKibPerConnection} KiB per session more; whole system ${turn.memory.kibPerConnectionWholeSystem}`);
        if (turn.memory.perProcess && turn.memory.perProcess.length > 1) log(`    by process (KiB per session): ${turn.memory.perProcess.map((p) => `${p.process} ${p.kibPerConnection}`).join(', ')}`);

        if (o.offlineMessages > 0) {
          await delay(1500);
          await fresh.beforeOffline?.();
          turn.offline = await runOfflineStoreDrain({ port: fresh.port, domain: DOMAIN, recipients: users.slice(0, 50), senders: users.slice(50, 55), messages: o.offlineMessages, cache, stored: fresh.offlineStored, timeoutMs: 180_000 });
          const x = turn.offline;
          log(`  offline: store ${x.storePerSecond} msg/s, drain ${x.drainPerSecond} msg/s (${x.received}/${x.messages} delivered, ${x.duplicates} duplicates, ${x.outOfOrder} out of order, ${x.errors} errors)`);
        }
      } catch (e) {
        turn.error = (e as Error).message.split('\n')[0].slice(0, 500) + (t && !t.alive() ? ` (${name}'s process had ended: ${t.exitInfo()})` : '');
        log(`  ${name} failed: ${(e as Error).message}`);
        if (t) log(t.logTail().slice(-10).join('\n'));
      } finally {
        await t?.stop().catch(() => undefined);
      }
    }
  }

  const report = buildReport(o, turns);
  const json = { startedAt, finishedAt: new Date().toISOString(), machine: { cpus: cpus().length, cpuModel: cpus()[0]?.model ?? '?', memoryMiB: Math.round(totalmem() / 2 ** 20), node: process.version, loadAverage1m: loadavg()[0] }, caveat, options: o, idleSessions: idle, figures: report.figures, turns };
  writeFileSync(join(resultsDir, 'compare.json'), JSON.stringify(json, null, 2) + '\n');
  console.log([`Parley vs Prosody vs ejabberd — ${startedAt}`, `machine: ${json.machine.cpus} × ${json.machine.cpuModel}, load ${json.machine.loadAverage1m.toFixed(1)} at start`, `CAVEAT: ${caveat}`, '', ...report.text].join('\n'));
  log('[compare] results written to bench/results/compare.json');
  return turns.some((t) => t.error) ? 1 : 0;
}

/** Medians over repetitions, grouped into the printed tables. */
function buildReport(o: Options, turns: Turn[]): { figures: Record<string, Figure[]>; text: string[] } {
  const per = (f: (t: Turn) => number | undefined): Record<string, number | undefined> =>
    Object.fromEntries(o.servers.map((s) => [s, median(turns.filter((t) => t.server === s && !t.error).map(f))]));
  const login = (transport: string) => (t: Turn) => t.logins?.find((l) => l.transport === transport);
  const figures: Record<string, Figure[]> = {
    [`Logins (connect, [STARTTLS], SCRAM-SHA-1, bind, close; ${o.concurrency} at once, ${o.loginSeconds} s)`]: (['no TLS', 'STARTTLS'] as const).flatMap((tr) => [
      { label: `${tr}: logins/s`, higherIsBetter: true, values: per((t) => login(tr)(t)?.loginsPerSecond) },
      { label: `${tr}: p99 ms`, higherIsBetter: false, digits: 1, values: per((t) => login(tr)(t)?.latencyMs.p99) },
      { label: `${tr}: server CPU ms per login`, higherIsBetter: false, digits: 2, values: per((t) => { const l = login(tr)(t); return l?.coreSeconds !== undefined && l.completed ? (l.coreSeconds * 1000) / l.completed : undefined; }) },
    ]),
    [`Messages (${o.pairs} pairs, STARTTLS, one server; ${o.stepSeconds} s per rate)`]: [
      { label: 'highest rate with p99 < 100 ms, nothing lost (msg/s)', higherIsBetter: true, values: per((t) => t.messages?.bestRate ?? (t.messages ? 0 : undefined)) },
      ...o.rates.map((rate) => ({ label: `p99 ms at ${rate} msg/s offered`, higherIsBetter: false, digits: 1, values: per((t) => t.messages?.steps.find((s) => s.offeredRate === rate)?.latencyMs.p99) })),
      ...o.rates.map((rate) => ({
        label: `server CPU µs per message at ${rate} msg/s`,
        higherIsBetter: false,
        values: per((t) => {
          const step = t.messages?.steps.find((s) => s.offeredRate === rate);
          const cpu = step?.cpuPercent?.[t.server];
          return step && cpu !== undefined && step.sentRate > 0 ? (cpu / 100) * (1e6 / step.sentRate) : undefined;
        }),
      })),
    ],
    [`Memory (idle STARTTLS sessions, bound and silent; RSS of the server's processes)`]: [
      { label: 'KiB per idle session', higherIsBetter: false, digits: 1, values: per((t) => t.memory?.kibPerConnection) },
      { label: 'KiB per idle session, whole system (Parley: + NATS and Postgres, PSS)', higherIsBetter: false, digits: 1, values: per((t) => t.memory?.kibPerConnectionWholeSystem) },
      { label: 'RSS before the idle sessions (MiB)', higherIsBetter: false, digits: 1, values: per((t) => (t.memory ? t.memory.rssBeforeKiB / 1024 : undefined)) },
      { label: 'idle sessions held', higherIsBetter: true, values: per((t) => t.memory?.opened) },
    ],
    [`Offline messages (${o.offlineMessages} to 50 offline users from 5 senders; then all log in at once)`]: [
      { label: 'store msg/s (until the server holds all)', higherIsBetter: true, values: per((t) => t.offline?.storePerSecond) },
      { label: 'drain msg/s (until every recipient has all)', higherIsBetter: true, values: per((t) => t.offline?.drainPerSecond) },
      { label: "a recipient's last message p99 ms", higherIsBetter: false, values: per((t) => t.offline?.userDoneMsP99) },
      { label: 'delivered', higherIsBetter: true, values: per((t) => t.offline?.received) },
      { label: 'duplicates + out of order', higherIsBetter: false, values: per((t) => (t.offline ? t.offline.duplicates + t.offline.outOfOrder : undefined)) },
    ],
    'Registration (in-band, XEP-0077, 8 at once)': [{ label: 'accounts/s', higherIsBetter: true, values: per((t) => t.registration?.perSecond) }],
  };
  const text: string[] = [];
  for (const [title, fs] of Object.entries(figures)) text.push(title, comparisonTable(o.servers, fs), '');
  const failed = turns.filter((t) => t.error);
  if (failed.length) text.push('Problems:', ...failed.map((t) => `  - ${t.server} (repetition ${t.repetition + 1}): ${t.error}`));
  return { figures, text };
}

const HARD_LIMIT_MS = 30 * 60_000;
const hardLimit = setTimeout(() => {
  log('[compare] still running after 30 min: giving up');
  void cleanup().finally(() => process.exit(1));
}, HARD_LIMIT_MS);

main()
  .catch((e) => {
    log(`[compare] failed: ${(e as Error).stack ?? e}`);
    return 1;
  })
  .then(async (code) => {
    await cleanup();
    clearTimeout(hardLimit);
    process.exit(code);
  });
