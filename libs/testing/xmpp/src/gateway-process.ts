// Runs a real gateway process (the built dist/, as production runs it) for
// end-to-end tests, on ports the OS picks, and learns its ports from its log.
import { ChildProcess, spawn } from 'node:child_process';
import { existsSync, mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { createInterface } from 'node:readline';

/** A running service process. */
export interface ServiceProcess {
  proc: ChildProcess;
  /** Log lines seen so far (JSON strings). */
  logs: string[];
  /** Graceful stop (SIGTERM), waiting for exit. */
  stop(): Promise<void>;
  /** Abrupt death (SIGKILL), as a crash. */
  kill(): Promise<void>;
}

/** A running gateway. */
export interface GatewayProcess extends ServiceProcess {
  starttlsPort: number;
  directTlsPort: number;
  webSocketPort: number;
  /** The external component port (XEP-0114), when components are configured. */
  componentPort?: number;
  /** The server-to-server port, with S2S_ENABLED. */
  s2sPort?: number;
  /** The server-to-server direct-TLS port (XEP-0368), when S2S_TLS_PORT opened one. */
  s2sTlsPort?: number;
  dataDir: string;
}

/** The workspace root (the folder with nx.json), from sources or from dist/. */
function workspaceRoot(): string {
  let dir = __dirname;
  while (!existsSync(join(dir, 'nx.json'))) {
    const up = dirname(dir);
    if (up === dir) throw new Error('workspace root (nx.json) not found');
    dir = up;
  }
  return dir;
}
const ROOT = workspaceRoot();

/** Starts `dist/services/<name>/src/main.js` and resolves when `ready(line)` matches a log line. */
export function spawnService(name: string, env: Record<string, string>, ready: (rec: Record<string, unknown>) => boolean, timeoutMs = 30_000): Promise<ServiceProcess & { readyRecord: Record<string, unknown> }> {
  const main = join(ROOT, 'dist', 'services', name, 'src', 'main.js');
  const proc = spawn(process.execPath, ['--enable-source-maps', main], {
    cwd: ROOT,
    env: { ...process.env, LOG_LEVEL: 'info', HTTP_PORT: '0', ...env },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  const logs: string[] = [];
  const exited = new Promise<void>((r) => proc.once('exit', () => r()));
  const stop = async () => {
    if (proc.exitCode === null && proc.signalCode === null) proc.kill('SIGTERM');
    const t = setTimeout(() => proc.kill('SIGKILL'), 10_000);
    await exited;
    clearTimeout(t);
  };
  const kill = async () => {
    if (proc.exitCode === null && proc.signalCode === null) proc.kill('SIGKILL');
    await exited;
  };
  return new Promise((resolvePromise, reject) => {
    const timer = setTimeout(() => {
      void kill();
      reject(new Error(`${name} did not become ready in ${timeoutMs} ms:\n${logs.slice(-20).join('\n')}`));
    }, timeoutMs);
    const onLine = (line: string) => {
      logs.push(line);
      if (logs.length > 2000) logs.shift();
      let rec: Record<string, unknown>;
      try {
        rec = JSON.parse(line);
      } catch {
        return;
      }
      if (ready(rec)) {
        clearTimeout(timer);
        resolvePromise({ proc, logs, stop, kill, readyRecord: rec });
      }
    };
    createInterface({ input: proc.stdout! }).on('line', onLine);
    createInterface({ input: proc.stderr! }).on('line', (l) => logs.push(l));
    proc.once('exit', (code) => {
      clearTimeout(timer);
      reject(new Error(`${name} exited with ${code} before it was ready:\n${logs.slice(-20).join('\n')}`));
    });
  });
}

/** Options of {@link spawnGateway}. */
export interface SpawnGatewayOptions {
  natsUrl: string;
  namespace: string;
  databaseUrl: string;
  /** Shared between instances so they present the same certificate. */
  dataDir?: string;
  env?: Record<string, string>;
}

/** Starts a gateway on free ports. */
export async function spawnGateway(o: SpawnGatewayOptions): Promise<GatewayProcess> {
  const dataDir = o.dataDir ?? mkdtempSync(join(tmpdir(), 'parley-gw-'));
  const p = await spawnService(
    'gateway',
    {
      NATS_URL: o.natsUrl,
      NATS_NAMESPACE: o.namespace,
      GATEWAY_DATABASE_URL: o.databaseUrl,
      C2S_PORT: '0',
      C2S_DIRECT_TLS_PORT: '0',
      WS_PORT: '0',
      COMPONENT_PORT: '0',
      DATA_DIR: dataDir,
      REGISTRATION_LIMIT: '1000',
      ...o.env,
    },
    (rec) => rec.msg === 'XMPP listeners open',
  );
  return { ...p, starttlsPort: p.readyRecord.starttlsPort as number, directTlsPort: p.readyRecord.directTlsPort as number, webSocketPort: p.readyRecord.webSocketPort as number, componentPort: p.readyRecord.componentPort as number | undefined, s2sPort: p.readyRecord.s2sPort as number | undefined, s2sTlsPort: p.readyRecord.s2sTlsPort as number | undefined, dataDir };
}
