// Starts the built gateway (dist/services/gateway/src/main.js) for the benchmark,
// on ports the OS picks, and learns them from its "XMPP listeners open" log line.
// (@parley/testing-xmpp's spawnGateway resolves dist/ from the source tree, so it
// cannot be used from compiled code; this is the same idea for dist/bench.)
import { ChildProcess, spawn } from 'node:child_process';
import { existsSync } from 'node:fs';
import { createServer } from 'node:net';
import { join } from 'node:path';
import { createInterface } from 'node:readline';

/** A running gateway process. */
export interface BenchGateway {
  name: string;
  pid: number;
  starttlsPort: number;
  httpPort: number;
  proc: ChildProcess;
  /** Last log lines (raw), for error reports. */
  logTail(): string[];
  /** SIGTERM and wait (SIGKILL after `graceMs`). */
  stop(graceMs?: number): Promise<void>;
}

/** What a gateway needs. */
export interface SpawnOptions {
  name: string;
  root: string;
  natsUrl: string;
  namespace: string;
  databaseUrl: string;
  dataDir: string;
  env?: Record<string, string>;
  /** Extra node flags (e.g. `--require` of the profiler hook). */
  nodeArgs?: string[];
  /** Open an IPC channel (the profiler hook listens on it). */
  ipc?: boolean;
  timeoutMs?: number;
}

/** A TCP port that was free a moment ago (for the gateway's HTTP metrics endpoint). */
export function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const s = createServer();
    s.once('error', reject);
    s.listen(0, '127.0.0.1', () => {
      const port = (s.address() as { port: number }).port;
      s.close(() => resolve(port));
    });
  });
}

/** Every gateway this process started, so a failing run can still kill them all. */
export const started = new Set<BenchGateway>();

/** Starts a gateway and resolves once its XMPP listeners are open. */
export async function spawnBenchGateway(o: SpawnOptions): Promise<BenchGateway> {
  const main = join(o.root, 'dist', 'services', 'gateway', 'src', 'main.js');
  if (!existsSync(main)) throw new Error(`${main} does not exist: build first (node scripts/build.mjs)`);
  const httpPort = await freePort();
  const proc = spawn(process.execPath, [...(o.nodeArgs ?? []), '--enable-source-maps', main], {
    cwd: o.root,
    env: {
      ...process.env,
      NODE_OPTIONS: '',
      LOG_LEVEL: 'info',
      NATS_URL: o.natsUrl,
      NATS_NAMESPACE: o.namespace,
      GATEWAY_DATABASE_URL: o.databaseUrl,
      C2S_HOST: '127.0.0.1',
      C2S_PORT: '0',
      C2S_DIRECT_TLS_PORT: '-1',
      WS_PORT: '-1',
      HTTP_PORT: String(httpPort),
      HTTP_HOST: '127.0.0.1',
      DATA_DIR: o.dataDir,
      ...o.env,
    },
    stdio: o.ipc ? ['ignore', 'pipe', 'pipe', 'ipc'] : ['ignore', 'pipe', 'pipe'],
  });
  const tail: string[] = [];
  const keep = (l: string) => {
    tail.push(l.length > 2000 ? l.slice(0, 2000) : l);
    if (tail.length > 50) tail.shift();
  };
  const exited = new Promise<void>((r) => proc.once('exit', () => r()));
  let gw: BenchGateway | undefined;
  const stop = async (graceMs = 10_000) => {
    if (proc.exitCode === null && proc.signalCode === null) {
      proc.kill('SIGTERM');
      const t = setTimeout(() => proc.kill('SIGKILL'), graceMs);
      await exited;
      clearTimeout(t);
    }
    if (gw) started.delete(gw);
  };
  return new Promise<BenchGateway>((resolve, reject) => {
    let ready = false;
    const timer = setTimeout(() => {
      void stop(1000);
      reject(new Error(`gateway ${o.name} not ready within ${o.timeoutMs ?? 60_000} ms:\n${tail.join('\n')}`));
    }, o.timeoutMs ?? 60_000);
    createInterface({ input: proc.stdout! }).on('line', (line) => {
      keep(line);
      if (ready || !line.includes('XMPP listeners open')) return;
      try {
        const rec = JSON.parse(line) as { starttlsPort: number };
        ready = true;
        clearTimeout(timer);
        gw = { name: o.name, pid: proc.pid!, starttlsPort: rec.starttlsPort, httpPort, proc, logTail: () => [...tail], stop };
        started.add(gw);
        resolve(gw);
      } catch {
        /* not JSON: keep waiting */
      }
    });
    createInterface({ input: proc.stderr! }).on('line', keep);
    proc.once('exit', (code, signal) => {
      clearTimeout(timer);
      if (!ready) reject(new Error(`gateway ${o.name} exited (${code ?? signal}) before it was ready:\n${tail.join('\n')}`));
    });
  });
}

/** Sends a message to the gateway's profiler hook and resolves with its answer (bounded). */
export function askProfiler(gw: BenchGateway, msg: 'bench:profile-start' | 'bench:profile-stop', timeoutMs = 30_000): Promise<{ started?: boolean; profile?: string; error?: string }> {
  return new Promise((resolve) => {
    if (!gw.proc.connected) return resolve({ error: 'no IPC channel to the gateway' });
    const t = setTimeout(() => {
      gw.proc.removeListener('message', on);
      resolve({ error: `no answer to ${msg} within ${timeoutMs} ms` });
    }, timeoutMs);
    const on = (m: unknown) => {
      clearTimeout(t);
      gw.proc.removeListener('message', on);
      resolve(m as { started?: boolean; profile?: string; error?: string });
    };
    gw.proc.on('message', on);
    gw.proc.send(msg);
  });
}

/** Reads one gauge/counter from the gateway's Prometheus /metrics (undefined when absent). */
export async function readMetric(gw: BenchGateway, name: string): Promise<number | undefined> {
  try {
    const res = await fetch(`http://127.0.0.1:${gw.httpPort}/metrics`, { signal: AbortSignal.timeout(3000) });
    const text = await res.text();
    const m = new RegExp(`^${name}(?:\\{[^}]*\\})?\\s+([0-9.eE+-]+)`, 'm').exec(text);
    return m ? Number(m[1]) : undefined;
  } catch {
    return undefined;
  }
}
