// A private PostgreSQL server for the fault-injection run: killing the shared one would
// take down everything else on the machine. initdb into a temporary folder, run as the
// `postgres` user when this process is root (PostgreSQL refuses to run as root), on a
// free loopback port, in its own process group so that a crash kills every backend.
import { ChildProcess, execFileSync, spawn } from 'node:child_process';
import { chownSync, existsSync, mkdtempSync, readdirSync, rmSync } from 'node:fs';
import { createConnection } from 'node:net';
import { tmpdir, userInfo } from 'node:os';
import { join } from 'node:path';
import { freePort } from '../gateway';

export interface PrivatePostgres {
  url: string;
  /** SIGKILL to the whole server (postmaster and backends), then a fresh start on the same data. */
  crashAndRestart(downMs: number): Promise<void>;
  stop(): Promise<void>;
}

function binDir(): string | undefined {
  const root = '/usr/lib/postgresql';
  if (!existsSync(root)) return undefined;
  const versions = readdirSync(root).sort((a, b) => Number(b) - Number(a));
  for (const v of versions) if (existsSync(join(root, v, 'bin', 'initdb'))) return join(root, v, 'bin');
  return undefined;
}

function accepting(port: number): Promise<boolean> {
  return new Promise((resolve) => {
    const s = createConnection({ port, host: '127.0.0.1' });
    s.once('connect', () => {
      s.destroy();
      resolve(true);
    });
    s.once('error', () => resolve(false));
  });
}

/** Starts one, or returns undefined (with the reason) when this machine has no PostgreSQL binaries. */
export async function startPrivatePostgres(): Promise<PrivatePostgres | string> {
  const bin = binDir();
  if (!bin) return 'no PostgreSQL server binaries (/usr/lib/postgresql/*/bin)';
  const dir = mkdtempSync(join(tmpdir(), 'parley-chaos-pg-'));
  const asRoot = userInfo().uid === 0;
  const uid = asRoot ? Number(execFileSync('id', ['-u', 'postgres']).toString().trim()) : undefined;
  const gid = asRoot ? Number(execFileSync('id', ['-g', 'postgres']).toString().trim()) : undefined;
  if (asRoot) chownSync(dir, uid!, gid!);
  const as = (cmd: string, args: string[]) => (asRoot ? ['runuser', ['-u', 'postgres', '--', cmd, ...args]] : [cmd, args]) as [string, string[]];
  const data = join(dir, 'data');
  execFileSync(...as(join(bin, 'initdb'), ['-D', data, '-A', 'trust', '-U', 'postgres', '--no-sync']), { stdio: 'ignore' });
  const port = await freePort();
  let proc: ChildProcess | undefined;
  const launch = async () => {
    const [cmd, args] = as(join(bin, 'postgres'), ['-D', data, '-p', String(port), '-k', dir, '-c', 'listen_addresses=127.0.0.1', '-c', 'max_connections=200', '-c', 'fsync=off']);
    proc = spawn(cmd, args, { detached: true, stdio: 'ignore' });
    const deadline = Date.now() + 30_000;
    while (!(await accepting(port))) {
      if (Date.now() > deadline) throw new Error('the private PostgreSQL did not start within 30 s');
      await new Promise((r) => setTimeout(r, 100));
    }
  };
  const kill = async (signal: NodeJS.Signals) => {
    const p = proc;
    if (!p || p.exitCode !== null || p.signalCode !== null) return;
    const exited = new Promise((r) => p.once('exit', r));
    try {
      process.kill(-p.pid!, signal);
    } catch {
      /* gone */
    }
    await exited;
    // backends notice the postmaster's death by themselves; wait until none holds the port
    const deadline = Date.now() + 15_000;
    while ((await accepting(port)) && Date.now() < deadline) await new Promise((r) => setTimeout(r, 100));
  };
  await launch();
  return {
    url: `postgres://postgres@127.0.0.1:${port}/postgres`,
    crashAndRestart: async (downMs) => {
      await kill('SIGKILL');
      await new Promise((r) => setTimeout(r, downMs));
      await launch();
    },
    stop: async () => {
      await kill('SIGTERM');
      rmSync(dir, { recursive: true, force: true });
    },
  };
}
