// Starts Debian's Prosody and ejabberd as private processes (for `npm run bench -- --compare`,
// and ejabberd as a federation peer of the e2e suite and the s2s benchmark): each with its own configuration file, data/log directory (under the run's scratch
// directory) and loopback port, nothing system-wide (no systemctl, /etc untouched).
// When the bench runs as root, each runs as its package's system user (Prosody refuses
// root), with its directory handed to that user.
import { ChildProcess, spawn } from 'node:child_process';
import { chownSync, copyFileSync, mkdirSync, readdirSync, readFileSync, writeFileSync } from 'node:fs';
import { AddressInfo, connect, createServer } from 'node:net';
import { join } from 'node:path';
import { EjabberdS2s, PeerSettings, renderEjabberdConfig, renderProsodyConfig } from './config';

export type PeerName = 'prosody' | 'ejabberd';

/** A running reference server. */
export interface PeerServer {
  name: PeerName;
  port: number;
  /** The server's processes now (the main one and its children): their RSS is its memory. */
  pids(): number[];
  alive(): boolean;
  /** How the main process ended (exit code or signal). */
  exitInfo(): string;
  logTail(): string[];
  stop(graceMs?: number): Promise<void>;
}

/** What starting one needs. */
export interface PeerStartOptions {
  domain: string;
  /** Scratch directory of the run; the server gets `<scratch>/<name>`. */
  scratchDir: string;
  certFile: string;
  keyFile: string;
  scramIterations: number;
  timeoutMs?: number;
  /** The c2s port on 127.0.0.1 (a free one when absent; give the old one to start a stopped server again). */
  port?: number;
  /** ejabberd only: federation (its s2s listener and policy); off when absent. */
  s2s?: EjabberdS2s;
  /** ejabberd only: its log level (default warning). */
  logLevel?: 'warning' | 'info' | 'debug';
}

/** A random 127.0.0.0/8 address other than 127.0.0.1: a private address (and IP-literal domain) for one test or bench run. */
export function randomLoopback(): string {
  const b = () => 1 + Math.floor(Math.random() * 254);
  return `127.${b()}.${b()}.${b()}`;
}

/** A TCP port on `host` that was free a moment ago. */
export function freePort(host = '127.0.0.1'): Promise<number> {
  return new Promise((resolve, reject) => {
    const s = createServer();
    s.once('error', reject);
    s.listen(0, host, () => {
      const port = (s.address() as AddressInfo).port;
      s.close(() => resolve(port));
    });
  });
}

/** Every reference server this process started, so a failing run can still stop them. */
export const startedPeers = new Set<PeerServer>();

/** uid/gid of a system user from /etc/passwd (undefined when absent). */
export function systemUser(name: string, passwd = readFileSync('/etc/passwd', 'utf8')): { uid: number; gid: number } | undefined {
  for (const line of passwd.split('\n')) {
    const f = line.split(':');
    if (f[0] === name && f.length >= 4) return { uid: Number(f[2]), gid: Number(f[3]) };
  }
  return undefined;
}

/** `pid` and its descendants, from /proc (ppid is the 4th field of /proc/<pid>/stat). */
export function processTree(pid: number): number[] {
  const children = new Map<number, number[]>();
  for (const d of readdirSync('/proc')) {
    if (!/^\d+$/.test(d)) continue;
    try {
      const stat = readFileSync(`/proc/${d}/stat`, 'utf8');
      const ppid = Number(stat.slice(stat.lastIndexOf(')') + 2).split(' ')[1]);
      const list = children.get(ppid) ?? [];
      list.push(Number(d));
      children.set(ppid, list);
    } catch {
      /* gone meanwhile */
    }
  }
  const out: number[] = [];
  const stack = [pid];
  while (stack.length && out.length < 1000) {
    const p = stack.pop()!;
    out.push(p);
    stack.push(...(children.get(p) ?? []));
  }
  return out;
}

const delay = (ms: number) => new Promise((r) => setTimeout(r, ms));

/** Resolves true once the port answers a stream header with stream features. */
function probe(port: number, domain: string, timeoutMs: number): Promise<boolean> {
  return new Promise((resolve) => {
    let buf = '';
    const s = connect(port, '127.0.0.1', () => {
      s.write(`<?xml version='1.0'?><stream:stream to='${domain}' xmlns='jabber:client' xmlns:stream='http://etherx.jabber.org/streams' version='1.0'>`);
    });
    const done = (ok: boolean) => {
      clearTimeout(t);
      s.destroy();
      resolve(ok);
    };
    const t = setTimeout(() => done(false), timeoutMs);
    s.on('data', (d) => {
      buf += d.toString();
      if (buf.includes('stream:features')) done(true);
    });
    s.on('error', () => done(false));
  });
}

async function startPeer(
  name: PeerName,
  o: PeerStartOptions,
  command: (dir: string, port: number, configFile: string) => { file: string; args: string[]; env: Record<string, string> },
): Promise<PeerServer> {
  const dir = join(o.scratchDir, name);
  mkdirSync(join(dir, 'data'), { recursive: true });
  // the server's own copies: its system user must be able to read the key
  const certFile = join(dir, 'cert.pem');
  const keyFile = join(dir, 'key.pem');
  copyFileSync(o.certFile, certFile);
  copyFileSync(o.keyFile, keyFile);
  const port = o.port ?? (await freePort());
  const settings: PeerSettings = { domain: o.domain, port, certFile, keyFile, dir, scramIterations: o.scramIterations, s2s: o.s2s, logLevel: o.logLevel };
  const configFile = join(dir, name === 'prosody' ? 'prosody.cfg.lua' : 'ejabberd.yml');
  writeFileSync(configFile, name === 'prosody' ? renderProsodyConfig(settings) : renderEjabberdConfig(settings), { mode: 0o600 });
  const user = process.getuid?.() === 0 ? systemUser(name) : undefined;
  if (process.getuid?.() === 0 && !user) throw new Error(`no system user "${name}": is Debian's ${name} package installed?`);
  if (user) {
    for (const f of [dir, join(dir, 'data'), certFile, keyFile, configFile]) chownSync(f, user.uid, user.gid);
  }
  const cmd = command(dir, port, configFile);
  const proc: ChildProcess = spawn(cmd.file, cmd.args, {
    cwd: dir,
    env: { PATH: process.env.PATH ?? '/usr/bin:/bin', LANG: 'C.UTF-8', HOME: dir, ...cmd.env },
    stdio: ['ignore', 'pipe', 'pipe'],
    ...(user ? { uid: user.uid, gid: user.gid } : {}),
  });
  const tail: string[] = [];
  const keep = (d: Buffer) => {
    for (const l of d.toString().split('\n')) if (l.trim()) tail.push(l.slice(0, 2000));
    while (tail.length > 50) tail.shift();
  };
  proc.stdout!.on('data', keep);
  proc.stderr!.on('data', keep);
  const exited = new Promise<void>((r) => proc.once('exit', () => r()));
  const alive = () => proc.exitCode === null && proc.signalCode === null;
  const peer: PeerServer = {
    name,
    port,
    pids: () => (alive() ? processTree(proc.pid!) : []),
    alive,
    exitInfo: () => `exit code ${proc.exitCode}, signal ${proc.signalCode}`,
    logTail: () => {
      const own: string[] = [];
      for (const f of ['prosody.log', 'ejabberd.log', 'error.log']) {
        try {
          own.push(...readFileSync(join(dir, f), 'utf8').split('\n').slice(-20));
        } catch {
          /* not written */
        }
      }
      return [...tail, ...own];
    },
    stop: async (graceMs = 10_000) => {
      if (alive()) {
        const tree = processTree(proc.pid!);
        proc.kill('SIGTERM');
        const t = setTimeout(() => {
          for (const p of tree) {
            try {
              process.kill(p, 'SIGKILL');
            } catch {
              /* gone */
            }
          }
        }, graceMs);
        await exited;
        clearTimeout(t);
      }
      startedPeers.delete(peer);
    },
  };
  startedPeers.add(peer);
  const deadline = Date.now() + (o.timeoutMs ?? 60_000);
  while (Date.now() < deadline) {
    if (!alive()) break;
    if (await probe(port, o.domain, 2000)) return peer;
    await delay(250);
  }
  await peer.stop(1000);
  throw new Error(`${name} did not answer on port ${port}:\n${peer.logTail().join('\n')}`);
}

/** Debian's prosody 0.12 in the foreground with a private configuration. */
export function startProsody(o: PeerStartOptions): Promise<PeerServer> {
  return startPeer('prosody', o, (_dir, _port, configFile) => ({ file: 'prosody', args: ['-F', '--config', configFile], env: {} }));
}

/** Debian's ejabberd 23.01 started with `erl` directly (ejabberdctl would run epmd and a named node). */
export function startEjabberd(o: PeerStartOptions): Promise<PeerServer> {
  return startPeer('ejabberd', o, (dir, _port, configFile) => ({
    file: 'erl',
    // not distributed (no epmd, no cookie); +K true and +P as ejabberdctl sets them
    args: ['-noinput', '-noshell', '+K', 'true', '+P', '250000', '-mnesia', 'dir', `"${join(dir, 'data')}"`, '-s', 'ejabberd'],
    env: {
      EJABBERD_CONFIG_PATH: configFile,
      EJABBERD_LOG_PATH: join(dir, 'ejabberd.log'),
      ERL_LIBS: '/usr/lib/x86_64-linux-gnu',
      ERL_CRASH_DUMP: join(dir, 'erl_crash.dump'),
      ERL_CRASH_DUMP_BYTES: '0',
      ERL_MAX_PORTS: '32000',
      CONTRIB_MODULES_PATH: join(dir, 'contrib'),
    },
  }));
}
