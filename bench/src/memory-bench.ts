// Memory per idle authenticated connection: the server's RSS (VmRSS, summed over its
// processes) before and after N sessions that logged in, bound a resource and then
// say nothing. The server is a Parley gateway (with its V8 figures from /metrics) or,
// in the comparison mode, any XMPP server on a loopback port.
import { BenchGateway, readMetric } from './gateway';
import type { Credentials } from './login-bench';
import { processLabel, readPssKiB, readRssKiB } from './proc';
import { ScramHashName, ScramKeyCache } from './scram-client';
import { BenchConnection, login } from './xmpp-conn';

/** What a memory run does. */
export interface MemoryRunOptions {
  port: number;
  /** The server's processes: their RSS is summed. */
  pids: () => number[];
  /**
   * Shared infrastructure the server needs besides its own processes (Parley: NATS and
   * Postgres). Their PSS (proportional: Postgres backends share memory) is read with the
   * same readings and reported apart, and with the server's in `kibPerConnectionWholeSystem`.
   */
  infraPids?: () => number[];
  /** A Parley gateway: V8 heap and external memory are read from its /metrics. */
  gateway?: BenchGateway;
  domain: string;
  users: Credentials[];
  connections: number;
  starttls: boolean;
  hash: ScramHashName;
  cache: ScramKeyCache;
  concurrency: number;
  /** Stop opening sessions after this long, whatever N. */
  openBudgetMs: number;
  settleMs: number;
  warmupLogins: number;
  log: (s: string) => void;
  /** Takes a heap snapshot of the server (`--heap-snapshots`) and resolves with its file. */
  heapSnapshot?: () => Promise<string>;
}

/** What it measured. */
export interface MemoryRunResult {
  requested: number;
  opened: number;
  failed: number;
  openMs: number;
  rssBeforeKiB: number;
  rssAfterKiB: number;
  rssAfterCloseKiB?: number;
  kibPerConnection: number;
  /** From the gateway's /metrics (V8 heap used and external memory), when readable. */
  heapUsedBeforeKiB?: number;
  heapUsedAfterKiB?: number;
  externalBeforeKiB?: number;
  externalAfterKiB?: number;
  sessionsReported?: number;
  /** The heap snapshots taken at the baseline and with the sessions open. */
  heapSnapshots?: { before: string; after: string };
  /** Growth of the infrastructure's PSS per session (`infraPids`), KiB. */
  infraKibPerConnection?: number;
  /** `kibPerConnection` plus `infraKibPerConnection`: the whole system's memory per session. */
  kibPerConnectionWholeSystem?: number;
  /** Each process's share (the last of the settled readings, before and with the sessions), largest growth first. */
  perProcess?: { process: string; beforeKiB: number; afterKiB: number; kibPerConnection: number }[];
}

const delay = (ms: number) => new Promise((r) => setTimeout(r, ms));

/** The median of five readings a quarter second apart, after `settleMs`: the server's summed RSS and, when given, the infrastructure's summed PSS. */
async function settledReadings(pids: () => number[], settleMs: number, each?: Map<number, number>, infraPids?: () => number[]): Promise<{ server: number; infra?: number }> {
  await delay(settleMs);
  const xs: number[] = [];
  const ys: number[] = [];
  for (let i = 0; i < 5; i++) {
    let sum = 0;
    for (const pid of pids()) {
      const v = readRssKiB(pid) ?? 0;
      sum += v;
      each?.set(pid, v);
    }
    xs.push(sum || NaN);
    if (infraPids) ys.push(infraPids().reduce((a, pid) => a + (readPssKiB(pid) ?? 0), 0) || NaN);
    await delay(250);
  }
  const median = (v: number[]) => v.sort((a, b) => a - b)[2];
  return { server: median(xs), infra: infraPids ? median(ys) : undefined };
}

const kib = (v: number | undefined) => (v === undefined ? undefined : Math.round(v / 1024));

export async function runMemory(o: MemoryRunOptions): Promise<MemoryRunResult> {
  const gw = o.gateway;
  const metric = async (name: string) => (gw ? readMetric(gw, name) : undefined);
  const loginAs = (user: Credentials, resource?: string) =>
    login({ port: o.port, domain: o.domain, username: user.username, password: user.password, starttls: o.starttls, hash: o.hash, cache: o.cache, resource, timeoutMs: 15_000 });

  // warm-up: JIT, TLS and database pools reach their steady state before the baseline
  for (let i = 0; i < o.warmupLogins; i += o.concurrency) {
    await Promise.all(
      Array.from({ length: Math.min(o.concurrency, o.warmupLogins - i) }, async (_, k) => {
        try {
          (await loginAs(o.users[(i + k) % o.users.length])).conn.close(200);
        } catch {
          /* counted below if it keeps failing */
        }
      }),
    );
  }
  const eachBefore = new Map<number, number>();
  const before = await settledReadings(o.pids, o.settleMs, eachBefore, o.infraPids);
  const rssBeforeKiB = before.server;
  const heapUsedBeforeKiB = kib(await metric('nodejs_heap_size_used_bytes'));
  const externalBeforeKiB = kib(await metric('nodejs_external_memory_bytes'));
  const snapshotBefore = o.heapSnapshot ? await o.heapSnapshot() : undefined;

  const conns: BenchConnection[] = [];
  let failed = 0;
  let next = 0;
  const t0 = performance.now();
  const deadline = t0 + o.openBudgetMs;
  try {
    await Promise.all(
      Array.from({ length: o.concurrency }, async () => {
        while (next < o.connections && performance.now() < deadline && failed < 100) {
          const i = next++;
          // users are reused with distinct resources when N exceeds the account count
          try {
            conns.push((await loginAs(o.users[i % o.users.length], `idle${i}`)).conn);
          } catch (e) {
            failed += 1;
            if (failed <= 3) o.log(`  idle session login failed: ${(e as Error).message.slice(0, 200)}`);
          }
        }
      }),
    );
    const openMs = Math.round(performance.now() - t0);
    o.log(`  opened ${conns.length} idle sessions in ${openMs} ms (${failed} failed); settling ${o.settleMs} ms`);
    const eachAfter = new Map<number, number>();
    const after = await settledReadings(o.pids, o.settleMs, eachAfter, o.infraPids);
    const rssAfterKiB = after.server;
    const heapUsedAfterKiB = kib(await metric('nodejs_heap_size_used_bytes'));
    const externalAfterKiB = kib(await metric('nodejs_external_memory_bytes'));
    const sessionsReported = await metric('parley_gateway_sessions');
    const snapshotAfter = o.heapSnapshot ? await o.heapSnapshot() : undefined;
    const alive = conns.filter((c) => !c.isClosed).length;
    for (const c of conns) c.close(500);
    await delay(1000);
    for (const c of conns) c.destroy();
    const rssAfterCloseKiB = (await settledReadings(o.pids, Math.min(o.settleMs, 2000))).server;
    const kibPerConnection = alive ? Math.round(((rssAfterKiB - rssBeforeKiB) / alive) * 10) / 10 : NaN;
    const infraKibPerConnection = alive && before.infra !== undefined && after.infra !== undefined ? Math.round(((after.infra - before.infra) / alive) * 10) / 10 : undefined;
    return {
      requested: o.connections,
      opened: alive,
      failed,
      openMs,
      rssBeforeKiB,
      rssAfterKiB,
      rssAfterCloseKiB,
      kibPerConnection,
      infraKibPerConnection,
      kibPerConnectionWholeSystem: infraKibPerConnection === undefined ? (o.infraPids ? undefined : kibPerConnection) : Math.round((kibPerConnection + infraKibPerConnection) * 10) / 10,
      heapUsedBeforeKiB,
      heapUsedAfterKiB,
      externalBeforeKiB,
      externalAfterKiB,
      sessionsReported,
      heapSnapshots: snapshotBefore && snapshotAfter ? { before: snapshotBefore, after: snapshotAfter } : undefined,
      perProcess: alive
        ? [...eachAfter]
            .filter(([pid]) => eachBefore.has(pid))
            .map(([pid, afterKiB]) => ({ process: processLabel(pid), beforeKiB: eachBefore.get(pid) ?? 0, afterKiB, kibPerConnection: Math.round(((afterKiB - (eachBefore.get(pid) ?? 0)) / alive) * 10) / 10 }))
            .sort((a, b) => b.kibPerConnection - a.kibPerConnection)
        : undefined,
    };
  } finally {
    for (const c of conns) c.destroy();
  }
}
