// One-to-one message throughput: pairs of logged-in sessions (sender → receiver,
// addressed to the receiver's full JID, type chat), an offered rate that rises
// step by step, latency from the send time carried in each message id, loss as
// sent − received after a drain window. Stops rising once the server is past
// saturation (loss > 1 % or p99 > 1 s).
import { monitorEventLoopDelay } from 'node:perf_hooks';
import type { Credentials } from './login-bench';
import { decodeBenchId, encodeBenchId, MessageScanner } from './message-scan';
import { CpuMeter } from './proc';
import { Samples, Summary } from './stats';
import { ScramKeyCache } from './scram-client';
import { BenchConnection, login } from './xmpp-conn';

/** Where a session logs in. */
export interface Endpoint {
  name: string;
  port: number;
  /** The domain its sessions log in to (default: the sweep's `domain`; another one for federation). */
  domain?: string;
}

/** A sender/receiver pair. */
interface Pair {
  sender: BenchConnection;
  receiver: BenchConnection;
  to: string;
  cross: boolean;
}

/** What a sweep does. */
export interface MessageSweepOptions {
  label: string;
  domain: string;
  /** Sessions of pair i: sender on `placement(i).sender`, receiver on `placement(i).receiver` (indexes into endpoints). */
  endpoints: Endpoint[];
  placement: (pair: number) => { sender: number; receiver: number };
  pairs: number;
  /** 2 × pairs accounts: pair i uses users[2i] → users[2i+1]. */
  users: Credentials[];
  starttls: boolean;
  cache: ScramKeyCache;
  /** Offered total rates, msg/s, ascending. */
  rates: number[];
  stepMs: number;
  drainMs: number;
  settleMs: number;
  /** Stop rising past these. */
  maxLossPercent: number;
  maxP99Ms: number;
  /** The figure reported: highest rate with p99 under this and nothing lost. */
  goodP99Ms: number;
  cpu?: CpuMeter;
  log: (s: string) => void;
}

/** One rate step. */
export interface MessageStep {
  offeredRate: number;
  /** What the generator actually sent per second (below offered when it cannot keep up). */
  sentRate: number;
  durationMs: number;
  sent: number;
  received: number;
  lost: number;
  lossPercent: number;
  /** Error bounces the senders got. */
  errors: number;
  /** Arrived after the drain window (counted in a later step), or duplicates. */
  late: number;
  duplicates: number;
  /** Not sent because the sender's socket had more than 1 MiB queued (server not reading). */
  blocked: number;
  latencyMs: Summary;
  crossLatencyMs: Summary;
  sameLatencyMs: Summary;
  /** p99 of the generator's own event-loop delay: high means the generator, not the server, was late. */
  generatorLoopDelayP99Ms: number;
  cpuPercent?: Record<string, number>;
  /** The step ran twice because other processes were busy the first time (the quieter run is kept). */
  repeated?: boolean;
}

/** Above this (% of one core) used by processes that are not part of the benchmark, a step is run again. */
export const NOISY_OTHER_PERCENT = 30;

/** A whole sweep. */
export interface MessageSweepResult {
  label: string;
  pairs: number;
  crossPairs: number;
  sessions: number;
  loginFailures: number;
  warmupDelivered: number;
  steps: MessageStep[];
  /** Highest offered rate with p99 < goodP99Ms, no loss, no errors (undefined when none). */
  bestRate?: number;
  stoppedBecause: string;
}

const BODY = 'Benchmark message of an ordinary chat length, about sixty bytes.';
const MAX_QUEUED = 1 << 20;

function round(s: Summary): Summary {
  const r = (v: number) => (Number.isNaN(v) ? v : Math.round(v * 100) / 100);
  return { count: s.count, min: r(s.min), mean: r(s.mean), p50: r(s.p50), p90: r(s.p90), p99: r(s.p99), max: r(s.max) };
}

async function pool<T>(n: number, concurrency: number, fn: (i: number) => Promise<T>): Promise<T[]> {
  const out: T[] = new Array(n);
  let next = 0;
  await Promise.all(
    Array.from({ length: Math.min(concurrency, n) }, async () => {
      while (next < n) {
        const i = next++;
        out[i] = await fn(i);
      }
    }),
  );
  return out;
}

const delay = (ms: number) => new Promise((r) => setTimeout(r, ms));

/** Logs the pairs in, warms up, runs the rate steps, closes everything. */
export async function runMessageSweep(o: MessageSweepOptions): Promise<MessageSweepResult> {
  if (o.users.length < 2 * o.pairs) throw new Error(`need ${2 * o.pairs} accounts, have ${o.users.length}`);
  const conns: BenchConnection[] = [];
  let loginFailures = 0;
  const connect = async (user: Credentials, ep: Endpoint): Promise<{ conn: BenchConnection; jid: string } | undefined> => {
    for (let attempt = 0; attempt < 3; attempt++) {
      try {
        const r = await login({ port: ep.port, domain: ep.domain ?? o.domain, username: user.username, password: user.password, starttls: o.starttls, hash: 'sha1', cache: o.cache, resource: 'bench', timeoutMs: 15_000 });
        conns.push(r.conn);
        return r;
      } catch (e) {
        loginFailures += 1;
        if (attempt === 2) o.log(`  login of a bench session failed: ${(e as Error).message.slice(0, 200)}`);
      }
    }
    return undefined;
  };

  // ---- state of the step being measured --------------------------------
  let step = 0;
  let seen = new Uint8Array(0);
  let received = 0;
  let late = 0;
  let duplicates = 0;
  let errors = 0;
  let all = new Samples();
  let cross = new Samples();
  let same = new Samples();

  const onReceived = (isCross: boolean) => (id: string | undefined, isError: boolean) => {
    const d = decodeBenchId(id);
    if (!d || isError) return;
    if (d.step !== step) {
      late += 1;
      return;
    }
    if (d.seq >= seen.length || seen[d.seq]) {
      duplicates += 1;
      return;
    }
    seen[d.seq] = 1;
    received += 1;
    const ms = (Math.round(performance.now() * 1000) - d.sentUs) / 1000;
    all.add(ms);
    (isCross ? cross : same).add(ms);
  };

  try {
    o.log(`  [${o.label}] logging in ${2 * o.pairs} sessions`);
    const made = await pool(o.pairs, 25, async (i) => {
      const where = o.placement(i);
      const r = await connect(o.users[2 * i + 1], o.endpoints[where.receiver]);
      const s = await connect(o.users[2 * i], o.endpoints[where.sender]);
      if (!r || !s) return undefined;
      const pair: Pair = { sender: s.conn, receiver: r.conn, to: r.jid, cross: where.sender !== where.receiver };
      pair.receiver.setSink(((sc) => (chunk: string) => sc.push(chunk))(new MessageScanner(onReceived(pair.cross))));
      pair.sender.setSink(((sc) => (chunk: string) => sc.push(chunk))(new MessageScanner((_id, isError) => { if (isError) errors += 1; })));
      return pair;
    });
    const pairs = made.filter((p): p is Pair => !!p);
    const crossPairs = pairs.filter((p) => p.cross).length;
    if (pairs.length === 0) throw new Error('no sender/receiver pair could log in');

    // ---- warm-up (step 0): every pair must deliver once (peers learn each other's sessions) ----
    const warm = async (): Promise<number> => {
      seen = new Uint8Array(pairs.length);
      received = 0;
      for (let i = 0; i < pairs.length; i++) {
        pairs[i].sender.send(`<message to='${pairs[i].to}' type='chat' id='${encodeBenchId({ step: 0, seq: i, sentUs: Math.round(performance.now() * 1000) })}'><body>${BODY}</body></message>`);
      }
      const until = performance.now() + 5000;
      while (received < pairs.length && performance.now() < until) await delay(20);
      return received;
    };
    let warmupDelivered = 0;
    for (let round = 0; round < 3 && warmupDelivered < pairs.length; round++) {
      if (round > 0) await delay(1000);
      warmupDelivered = await warm();
    }
    o.log(`  [${o.label}] ${pairs.length} pairs (${crossPairs} across gateways), warm-up delivered ${warmupDelivered}/${pairs.length}`);

    const lag = monitorEventLoopDelay({ resolution: 5 });
    /** Offers `rate` msg/s for `stepMs`, drains, and measures. */
    const runStep = async (rate: number, stepMs: number): Promise<MessageStep> => {
      step += 1;
      const planned = Math.ceil((rate * stepMs) / 1000);
      seen = new Uint8Array(planned + 16);
      received = 0;
      late = 0;
      duplicates = 0;
      errors = 0;
      all = new Samples(planned);
      cross = new Samples(planned);
      same = new Samples(planned);
      let sent = 0;
      let blocked = 0;
      let rr = 0;
      o.cpu?.start();
      lag.reset();
      lag.enable();
      const t0 = performance.now();
      await new Promise<void>((resolve) => {
        const tick = () => {
          const el = performance.now() - t0;
          if (el >= stepMs || sent + blocked >= planned) return resolve();
          // catch up on what is due, but never more than 50 ms worth at once
          let n = Math.min(Math.floor((rate * el) / 1000) - sent - blocked, Math.ceil(rate / 20), planned - sent - blocked);
          while (n-- > 0) {
            const p = pairs[rr];
            rr = rr + 1 === pairs.length ? 0 : rr + 1;
            const seq = sent + blocked;
            if (p.sender.pendingBytes > MAX_QUEUED) {
              blocked += 1;
              seen[seq] = 1; // never expected
              continue;
            }
            p.sender.send(`<message to='${p.to}' type='chat' id='${encodeBenchId({ step, seq, sentUs: Math.round(performance.now() * 1000) })}'><body>${BODY}</body></message>`);
            sent += 1;
          }
          setTimeout(tick, 1);
        };
        tick();
      });
      const sendMs = performance.now() - t0;
      const drainUntil = performance.now() + o.drainMs;
      while (received + errors < sent && performance.now() < drainUntil) await delay(10);
      lag.disable();
      const cpuPercent = o.cpu?.stop();
      const lost = sent - received;
      const s: MessageStep = {
        offeredRate: rate,
        sentRate: Math.round((sent * 1000) / sendMs),
        durationMs: Math.round(sendMs),
        sent,
        received,
        lost,
        lossPercent: sent ? Math.round((lost / sent) * 10000) / 100 : 0,
        errors,
        late,
        duplicates,
        blocked,
        latencyMs: round(all.summary()),
        crossLatencyMs: round(cross.summary()),
        sameLatencyMs: round(same.summary()),
        generatorLoopDelayP99Ms: Math.round(lag.percentile(99) / 1e4) / 100,
        cpuPercent,
      };
      return s;
    };

    // ---- warm-up load (not reported): JIT, buffers and pools reach steady state ----
    await runStep(Math.min(o.rates[0] ?? 1000, 1000), Math.min(2000, o.stepMs));

    const steps: MessageStep[] = [];
    let stoppedBecause = 'all rates done';
    for (const rate of o.rates) {
      await delay(o.settleMs);
      const closed = conns.filter((c) => c.isClosed).length;
      if (closed > 0) {
        stoppedBecause = `${closed} bench connections were closed by the server`;
        break;
      }
      let s = await runStep(rate, o.stepMs);
      // other work on the machine (not ours) took a lot of CPU: repeat the step once
      if ((s.cpuPercent?.other ?? 0) > NOISY_OTHER_PERCENT) {
        o.log(`  [${o.label}] ${rate} msg/s: other processes used ${s.cpuPercent!.other}% of a core meanwhile; repeating the step once`);
        await delay(o.settleMs);
        const again = await runStep(rate, o.stepMs);
        s = (again.cpuPercent?.other ?? 0) < (s.cpuPercent?.other ?? 0) ? again : s;
        s.repeated = true;
      }
      steps.push(s);
      o.log(
        `  [${o.label}] ${rate} msg/s offered: sent ${s.sentRate}/s, lost ${s.lost} (${s.lossPercent}%), p50 ${s.latencyMs.p50} ms, p99 ${s.latencyMs.p99} ms, max ${s.latencyMs.max} ms` +
          (s.cpuPercent ? `, cpu ${Object.entries(s.cpuPercent).map(([k, v]) => `${k} ${v}%`).join(' ')}` : ''),
      );
      if (s.lossPercent > o.maxLossPercent || !(s.latencyMs.p99 <= o.maxP99Ms)) {
        stoppedBecause = `${rate} msg/s: ${s.lossPercent > o.maxLossPercent ? `loss ${s.lossPercent}% > ${o.maxLossPercent}%` : `p99 ${s.latencyMs.p99} ms > ${o.maxP99Ms} ms`}`;
        break;
      }
    }
    const good = steps.filter((s) => s.lost === 0 && s.errors === 0 && s.blocked === 0 && s.latencyMs.p99 < o.goodP99Ms);
    return {
      label: o.label,
      pairs: pairs.length,
      crossPairs,
      sessions: 2 * pairs.length,
      loginFailures,
      warmupDelivered,
      steps,
      bestRate: good.length ? Math.max(...good.map((s) => s.offeredRate)) : undefined,
      stoppedBecause,
    };
  } finally {
    for (const c of conns) c.close(500);
    await delay(600);
    for (const c of conns) c.destroy();
  }
}
