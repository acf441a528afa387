// Logins per second: `concurrency` workers each log in (connect, header,
// [STARTTLS], SCRAM, restart, bind), close, and start over until the time is up.
import { monitorEventLoopDelay } from 'node:perf_hooks';
import { CpuMeter } from './proc';
import { Samples, Summary } from './stats';
import { ScramHashName, ScramKeyCache } from './scram-client';
import { login, LoginError } from './xmpp-conn';

/** An account the generator may log in with. */
export interface Credentials {
  username: string;
  password: string;
}

/** What one login run does. */
export interface LoginRunOptions {
  port: number;
  domain: string;
  starttls: boolean;
  hash: ScramHashName;
  /** Worker i logs in as `users[i % users.length]` (a server-chosen resource each time). */
  users: Credentials[];
  concurrency: number;
  durationMs: number;
  /** Hard cap on attempts, whatever the time. */
  maxAttempts: number;
  stepTimeoutMs: number;
  cache: ScramKeyCache;
  cpu?: CpuMeter;
  /** Checked before each attempt: false (the gateway died) ends the run early. */
  alive?: () => boolean;
}

/** What one login run measured. */
export interface LoginRunResult {
  concurrency: number;
  starttls: boolean;
  mechanism: string;
  completed: number;
  failed: number;
  failuresByStage: Record<string, number>;
  /** First few failure messages (no passwords: the client never puts one in a message). */
  sampleErrors: string[];
  elapsedMs: number;
  loginsPerSecond: number;
  /** Milliseconds from connect to bound. */
  latencyMs: Summary;
  /** Mean milliseconds per stage of the successful logins (where a login waits). */
  meanStageMs: Record<string, number>;
  cpuPercent?: Record<string, number>;
  /** p99 of the generator's own event-loop delay, ms (high: the generator, not the server, was late). */
  generatorLoopDelayP99Ms: number;
}

/** Runs logins for `durationMs` (workers finish their current login, bounded by the step timeouts). */
export async function runLogins(o: LoginRunOptions): Promise<LoginRunResult> {
  const latency = new Samples(4096);
  const failuresByStage: Record<string, number> = {};
  const sampleErrors: string[] = [];
  let completed = 0;
  let failed = 0;
  let attempts = 0;
  const stageSums: Record<string, number> = {};
  o.cpu?.start();
  const lag = monitorEventLoopDelay({ resolution: 5 });
  lag.enable();
  const t0 = performance.now();
  const deadline = t0 + o.durationMs;
  const worker = async (i: number) => {
    const user = o.users[i % o.users.length];
    while (performance.now() < deadline && attempts < o.maxAttempts && (o.alive?.() ?? true)) {
      attempts += 1;
      const start = performance.now();
      const stageMs: Record<string, number> = {};
      try {
        const { conn } = await login({
          port: o.port,
          domain: o.domain,
          username: user.username,
          password: user.password,
          starttls: o.starttls,
          hash: o.hash,
          cache: o.cache,
          timeoutMs: o.stepTimeoutMs,
          stageMs,
        });
        latency.add(performance.now() - start);
        for (const [k, v] of Object.entries(stageMs)) stageSums[k] = (stageSums[k] ?? 0) + v;
        completed += 1;
        conn.close();
      } catch (e) {
        failed += 1;
        const stage = e instanceof LoginError ? e.stage : 'other';
        failuresByStage[stage] = (failuresByStage[stage] ?? 0) + 1;
        if (sampleErrors.length < 5) sampleErrors.push((e as Error).message.slice(0, 300));
        await new Promise((r) => setTimeout(r, 20)); // never spin on instant failures
      }
    }
  };
  await Promise.all(Array.from({ length: o.concurrency }, (_, i) => worker(i)));
  const elapsedMs = performance.now() - t0;
  const cpuPercent = o.cpu?.stop();
  lag.disable();
  return {
    concurrency: o.concurrency,
    starttls: o.starttls,
    mechanism: o.hash === 'sha1' ? 'SCRAM-SHA-1' : 'SCRAM-SHA-256',
    completed,
    failed,
    failuresByStage,
    sampleErrors,
    elapsedMs: Math.round(elapsedMs),
    loginsPerSecond: Math.round((completed * 1000) / elapsedMs),
    latencyMs: latency.summary(),
    meanStageMs: Object.fromEntries(Object.entries(stageSums).map(([k, v]) => [k, completed ? Math.round((v / completed) * 10) / 10 : 0])),
    cpuPercent,
    generatorLoopDelayP99Ms: Math.round(lag.percentile(99) / 1e4) / 100,
  };
}
