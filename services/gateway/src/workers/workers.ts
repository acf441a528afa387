// Several gateway processes on one host or pod (GATEWAY_WORKERS > 1), with node:cluster.
//
// Each worker is a whole gateway instance: its own instance id (`<INSTANCE_ID>-w<n>`),
// NATS connection, database pool and sessions, found by the others through the routing
// directory exactly as separate gateways are (docs/architecture.md). The client, s2s,
// component and web listeners are shared: the primary accepts and hands connections to
// the workers in turn. The primary holds no session: it serves /healthz, /readyz and
// /metrics for all of them on HTTP_PORT (metrics summed over the workers by prom-client's
// AggregatorRegistry, readiness asked of each worker), restarts a worker that dies, and
// turns SIGTERM/SIGINT/SIGHUP into a graceful stop of every worker (each drains as a
// single gateway does) before it exits.
import cluster, { Worker } from 'node:cluster';
import { randomBytes } from 'node:crypto';
import type { AddressInfo } from 'node:net';
import { createServer, IncomingMessage, ServerResponse } from 'node:http';
import type { Health } from '@parley/runtime';
import type { Logger } from 'pino';
import { AggregatorRegistry } from 'prom-client';

const READY_REQ = 'parley:readyz-req';
const READY_RES = 'parley:readyz-res';

export interface PrimaryOptions {
  workers: number;
  /** Base of the workers' instance ids (INSTANCE_ID, or a random one). */
  instanceId: string;
  httpPort: number;
  httpHost: string;
  /** How long a worker may take to stop gracefully before it is killed. */
  stopTimeoutMs: number;
  log: Logger;
}

/** What a readiness probe of the primary answers. */
export interface WorkersReadiness {
  ready: boolean;
  workers: Array<{ index: number; pid?: number; failing: string[] }>;
}

/** Runs the primary: forks the workers and serves health and metrics for them; resolves once it listens. */
export async function runPrimary(o: PrimaryOptions): Promise<{ stop: () => Promise<void> }> {
  const base = o.instanceId || `gw-${randomBytes(5).toString('hex')}`;
  const aggregator = new AggregatorRegistry();
  const workers = new Map<number, Worker>();
  const exits: number[] = [];
  let stopping: Promise<void> | undefined;
  const pending = new Map<string, (failing: string[]) => void>();

  cluster.on('message', (_w, m: { type?: string; id?: string; failing?: unknown }) => {
    if (m?.type !== READY_RES || typeof m.id !== 'string') return;
    pending.get(m.id)?.(Array.isArray(m.failing) ? m.failing.map(String) : ['malformed answer']);
  });

  const fork = (index: number) => {
    const w = cluster.fork({ PARLEY_GATEWAY_WORKER: String(index), INSTANCE_ID: `${base}-w${index}` });
    workers.set(index, w);
    o.log.info({ worker: index, pid: w.process.pid, instanceId: `${base}-w${index}` }, 'gateway worker started');
    w.on('exit', (code, signal) => {
      if (workers.get(index) === w) workers.delete(index);
      if (stopping) return;
      const now = Date.now();
      exits.push(now);
      while (exits.length && exits[0] < now - 60_000) exits.shift();
      if (exits.length > 3 * o.workers) {
        o.log.fatal({ exits: exits.length }, 'gateway workers keep exiting: stopping');
        void stop().then(() => process.exit(1));
        return;
      }
      o.log.error({ worker: index, code, signal }, 'gateway worker exited; starting another');
      setTimeout(() => {
        if (!stopping) fork(index);
      }, 1000).unref();
    });
  };

  /** Asks one worker which of its readiness checks fail (bounded: no answer in 2 s is a failure). */
  const askReady = (w: Worker): Promise<string[]> =>
    new Promise((resolve) => {
      const id = randomBytes(6).toString('hex');
      const t = setTimeout(() => {
        pending.delete(id);
        resolve(['no answer']);
      }, 2000);
      pending.set(id, (failing) => {
        clearTimeout(t);
        pending.delete(id);
        resolve(failing);
      });
      try {
        w.send({ type: READY_REQ, id });
      } catch {
        resolve(['unreachable']);
      }
    });

  const readiness = async (): Promise<WorkersReadiness> => {
    const list = await Promise.all(
      Array.from({ length: o.workers }, async (_, index) => {
        const w = workers.get(index);
        if (!w || !w.isConnected()) return { index, failing: ['not running'] };
        return { index, pid: w.process.pid, failing: await askReady(w) };
      }),
    );
    return { ready: !stopping && list.every((w) => w.failing.length === 0), workers: list };
  };

  const send = (res: ServerResponse, status: number, type: string, body: string) => {
    res.writeHead(status, { 'content-type': type, 'cache-control': 'no-store' });
    res.end(body);
  };
  const server = createServer((req: IncomingMessage, res: ServerResponse) => {
    const path = (req.url ?? '/').split('?')[0];
    if (req.method !== 'GET') return send(res, 405, 'text/plain', 'method not allowed\n');
    if (path === '/healthz') return send(res, 200, 'application/json', JSON.stringify({ status: 'ok', workers: workers.size }));
    if (path === '/readyz')
      return void readiness().then((r) => send(res, r.ready ? 200 : 503, 'application/json', JSON.stringify({ status: r.ready ? 'ok' : 'error', ...r })));
    if (path === '/metrics')
      return void aggregator.clusterMetrics().then(
        (text) => send(res, 200, aggregator.contentType, text),
        (e: Error) => send(res, 503, 'text/plain', `metrics unavailable: ${e.message}\n`),
      );
    send(res, 404, 'text/plain', 'not found\n');
  });

  const stop = (): Promise<void> =>
    (stopping ??= (async () => {
      o.log.info({ workers: workers.size }, 'stopping gateway workers');
      const all = [...workers.values()];
      await Promise.all(
        all.map(
          (w) =>
            new Promise<void>((resolve) => {
              if (w.isDead()) return resolve();
              const kill = setTimeout(() => w.process.kill('SIGKILL'), o.stopTimeoutMs);
              w.once('exit', () => {
                clearTimeout(kill);
                resolve();
              });
              w.process.kill('SIGTERM');
            }),
        ),
      );
      await new Promise<void>((r) => server.close(() => r()));
      o.log.info('gateway workers stopped');
    })());

  for (const sig of ['SIGTERM', 'SIGINT', 'SIGHUP'] as const) process.on(sig, () => void stop().then(() => process.exit(0)));
  for (let i = 0; i < o.workers; i++) fork(i);
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(o.httpPort, o.httpHost, () => resolve());
  });
  o.log.info({ workers: o.workers, httpPort: (server.address() as AddressInfo).port }, 'gateway workers: health and metrics listening');
  return { stop };
}

/**
 * In a worker: answers the primary's metrics and readiness questions from this
 * gateway's registry and checks. A stop comes from the primary as SIGTERM; SIGINT (a
 * terminal's Ctrl-C reaches the whole process group) is left to the primary.
 */
export function serveWorker(health: Health): void {
  AggregatorRegistry.setRegistries([health.metrics]);
  new AggregatorRegistry(); // installs the listener that answers the primary's metrics requests
  process.on('message', (m: { type?: string; id?: string }) => {
    if (m?.type !== READY_REQ) return;
    void health.failing().then((failing) => process.send?.({ type: READY_RES, id: m.id, failing }));
  });
  process.on('SIGINT', () => undefined);
  process.on('SIGHUP', () => undefined);
}

/** The index of this worker (0-based), or undefined in a single-process gateway or the primary. */
export function workerIndex(): number | undefined {
  if (!cluster.isWorker) return undefined;
  const n = Number(process.env.PARLEY_GATEWAY_WORKER);
  return Number.isInteger(n) && n >= 0 ? n : undefined;
}
