// (Lives in @parley/nats, beside the permissions it renders, for tests and local tooling.)
// A private NATS server with Parley's bus permissions, for tests that must prove the
// permissions (and for e2e suites, which then run every flow under them). It runs the
// real nats-server binary (Debian's package: `bash scripts/services.sh` installs it) on a
// free loopback port with JetStream in a temporary directory, or, where there is no
// binary but a Docker engine, the official image with the same configuration.
import { ChildProcess, spawn } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { existsSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { createServer, Socket } from 'node:net';
import { tmpdir } from 'node:os';
import { delimiter, join } from 'node:path';
import { busCredentialRoles, busPasswordVar, busUser, natsAuthorizationConfig } from './permissions';

/** A running NATS with one user per bus role. */
export interface AuthenticatedNats {
  url: string;
  namespace: string;
  /** NATS_USER / NATS_PASSWORD for a process of a role (`gateway`, `roster`, ..., `admin`). */
  env(role: string): { NATS_USER: string; NATS_PASSWORD: string };
  /** Bus connection options of a role, for tests that connect themselves. */
  credentials(role: string): { user: string; password: string };
  /** Permission violations the server logged so far (one line each). */
  violations(): string[];
  /**
   * Freezes the server (SIGSTOP) as an outage clients cannot see at once: requests and
   * JetStream publishes time out, connections stay open. `resume` (SIGCONT) ends it.
   */
  pause(): void;
  resume(): void;
  /** Kills the server (SIGKILL, as a crash) and starts it again on the same port and JetStream store. */
  crashAndRestart(downMs?: number): Promise<void>;
  stop(): Promise<void>;
}

function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const s = createServer();
    s.once('error', reject);
    s.listen(0, '127.0.0.1', () => {
      const port = (s.address() as { port: number }).port;
      s.close(() => resolve(port));
    });
  });
}

/** The nats-server binary: NATS_SERVER_BIN, the PATH, or Debian's location. */
export function natsServerBinary(): string | undefined {
  const candidates = [process.env.NATS_SERVER_BIN, ...(process.env.PATH ?? '').split(delimiter).map((d) => join(d, 'nats-server')), '/usr/sbin/nats-server', '/usr/bin/nats-server'];
  return candidates.find((c): c is string => !!c && existsSync(c));
}

function waitForPort(port: number, proc: ChildProcess, log: () => string, timeoutMs = 15_000): Promise<void> {
  const started = Date.now();
  return new Promise((resolve, reject) => {
    const attempt = () => {
      if (proc.exitCode !== null) return reject(new Error(`nats-server exited (${proc.exitCode}):\n${log()}`));
      const s = new Socket();
      s.once('connect', () => {
        s.destroy();
        resolve();
      });
      s.once('error', () => {
        s.destroy();
        if (Date.now() - started > timeoutMs) reject(new Error(`nats-server did not listen on ${port}:\n${log()}`));
        else setTimeout(attempt, 50);
      });
      s.connect(port, '127.0.0.1');
    };
    attempt();
  });
}

/** Starts a private NATS with Parley's bus users for `namespace` (roles from BUS_ROLES plus `admin`). */
export async function startAuthenticatedNats(namespace = ''): Promise<AuthenticatedNats> {
  const passwords = new Map(busCredentialRoles().map((r) => [r, `p${randomBytes(18).toString('hex')}` /* nats-server reads a leading digit as a number */]));
  const env = Object.fromEntries([...passwords].map(([r, p]) => [busPasswordVar(r), p]));
  const dir = mkdtempSync(join(tmpdir(), 'parley-nats-'));
  const credentials = (role: string) => {
    const password = passwords.get(role);
    if (!password) throw new Error(`no bus role "${role}"`);
    return { user: busUser(role, namespace), password };
  };
  const common = {
    namespace,
    credentials,
    env: (role: string) => {
      const c = credentials(role);
      return { NATS_USER: c.user, NATS_PASSWORD: c.password };
    },
  };
  const bin = natsServerBinary();
  if (!bin) return fromContainer(namespace, env, dir, common);
  writeFileSync(join(dir, 'auth.conf'), natsAuthorizationConfig({ namespace }));
  const logFile = join(dir, 'nats.log');
  let stderr = '';
  const log = () => stderr + (existsSync(logFile) ? readFileSync(logFile, 'utf8') : '');
  // A free port can be taken again before nats-server binds it (a busy machine): try another.
  let proc!: ChildProcess;
  let port = 0;
  const launch = () => {
    stderr = '';
    proc = spawn(bin, ['-c', join(dir, 'nats.conf'), '-l', logFile], { env: { ...process.env, ...env }, stdio: ['ignore', 'ignore', 'pipe'] });
    proc.stderr!.on('data', (d: Buffer) => (stderr = (stderr + d.toString()).slice(-4000)));
  };
  for (let attempt = 1; ; attempt++) {
    port = await freePort();
    writeFileSync(join(dir, 'nats.conf'), [`listen: "127.0.0.1:${port}"`, `jetstream { store_dir: ${JSON.stringify(join(dir, 'js'))} }`, 'include "auth.conf"', ''].join('\n'));
    launch();
    try {
      await waitForPort(port, proc, log);
      break;
    } catch (e) {
      if (proc.exitCode === null) proc.kill('SIGKILL');
      if (attempt >= 3) throw e;
    }
  }
  return {
    ...common,
    url: `nats://127.0.0.1:${port}`,
    violations: () => log().split('\n').filter((l) => /violation/i.test(l)),
    pause: () => void proc.kill('SIGSTOP'),
    resume: () => void proc.kill('SIGCONT'),
    crashAndRestart: async (downMs = 0) => {
      if (proc.exitCode === null && proc.signalCode === null) {
        const exited = new Promise((r) => proc.once('exit', r));
        proc.kill('SIGKILL');
        await exited;
      }
      await new Promise((r) => setTimeout(r, downMs));
      launch();
      await waitForPort(port, proc, log);
    },
    stop: async () => {
      if (proc.exitCode === null) {
        proc.kill('SIGCONT');
        const exited = new Promise((r) => proc.once('exit', r));
        proc.kill('SIGTERM');
        await exited;
      }
      rmSync(dir, { recursive: true, force: true });
    },
  };
}

async function fromContainer(
  namespace: string,
  env: Record<string, string>,
  dir: string,
  common: Pick<AuthenticatedNats, 'namespace' | 'credentials' | 'env'>,
): Promise<AuthenticatedNats> {
  let tc: typeof import('testcontainers');
  try {
    tc = await import('testcontainers');
    await tc.getContainerRuntimeClient();
  } catch {
    rmSync(dir, { recursive: true, force: true });
    throw new Error('Tests of the authenticated bus need nats-server (Debian package nats-server; `bash scripts/services.sh` installs it) or a Docker engine.');
  }
  const conf = ['listen: "0.0.0.0:4222"', 'jetstream { store_dir: "/data" }', natsAuthorizationConfig({ namespace })].join('\n');
  const c = await new tc.GenericContainer('nats:2.10-alpine')
    .withEnvironment(env)
    .withCopyContentToContainer([{ content: conf, target: '/etc/parley-nats.conf' }])
    .withCommand(['-c', '/etc/parley-nats.conf'])
    .withExposedPorts(4222)
    .withWaitStrategy(tc.Wait.forLogMessage(/Server is ready/))
    .start();
  const lines: string[] = [];
  (await c.logs()).on('data', (l: Buffer | string) => lines.push(String(l)));
  return {
    ...common,
    url: `nats://${c.getHost()}:${c.getMappedPort(4222)}`,
    violations: () => lines.join('').split('\n').filter((l) => /violation/i.test(l)),
    pause: () => {
      throw new Error('pausing the bus needs the nats-server binary');
    },
    resume: () => undefined,
    crashAndRestart: async () => {
      throw new Error('restarting the bus needs the nats-server binary');
    },
    stop: async () => {
      await c.stop();
      rmSync(dir, { recursive: true, force: true });
    },
  };
}
