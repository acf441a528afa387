// A real XMPP↔IRC transport for end-to-end tests: Debian's biboumi (an external component,
// XEP-0114) and Debian's ngircd as the IRC server behind it (scripts/ensure-transport.sh),
// both plain processes with their own configuration files in a temporary directory (the
// system services and /etc are never used), listening on loopback only; plus a raw IRC
// client on a real socket.
import { ChildProcess, execFileSync, spawn } from 'node:child_process';
import { chmodSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { connect, Socket } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { createInterface } from 'node:readline';
import { randomLoopback } from '@parley/testing-peers';

/** A process of ours whose output lines are kept, started again on demand. */
export interface PeerProcess {
  logs: string[];
  /** SIGTERM (SIGKILL with `{ kill: true }`, or after 10 s), waiting for the exit. */
  stop(opts?: { kill?: boolean }): Promise<void>;
  /** Starts it again after stop(), same configuration and data. */
  restart(): Promise<void>;
  /** stop(), then removes its directory (configuration and data). */
  dispose(): Promise<void>;
}

export interface NgircdProcess extends PeerProcess {
  /** The random loopback address it listens on (port 6667, plain IRC). */
  host: string;
  port: number;
}

export interface BiboumiProcess extends PeerProcess {
  /** Its component domain. */
  hostname: string;
  /** Its SQLite database (biboumi's own: per-user and per-channel settings, its archive). */
  dbPath: string;
}

/** The path of `cmd` (on PATH, or in /usr/sbin, where Debian puts ngircd, for users without it on PATH). */
function requireCommand(cmd: string, pkg: string): string {
  for (const script of [`command -v ${cmd}`, `test -x /usr/sbin/${cmd} && echo /usr/sbin/${cmd}`]) {
    try {
      const path = execFileSync('sh', ['-c', script], { encoding: 'utf8', stdio: ['ignore', 'pipe', 'ignore'] }).trim();
      if (path) return path;
    } catch {
      /* not there */
    }
  }
  throw new Error(`Debian's ${pkg} is not installed (scripts/ensure-transport.sh installs it; or apt-get install -y --no-install-recommends biboumi ngircd)`);
}

/**
 * Runs `cmd args` until `ready` matches an output line (rejecting with the last lines when
 * it exits first or after 30 s, and removing `dir`); `stop`/`restart`/`dispose` as in
 * {@link PeerProcess}.
 */
async function supervise(name: string, dir: string, cmd: string, args: string[], ready: RegExp, env: NodeJS.ProcessEnv = process.env): Promise<PeerProcess> {
  const logs: string[] = [];
  let proc!: ChildProcess;
  let exited!: Promise<void>;
  const launch = () =>
    new Promise<void>((resolve, reject) => {
      proc = spawn(cmd, args, { stdio: ['ignore', 'pipe', 'pipe'], env });
      exited = new Promise<void>((r) => proc.once('exit', () => r()));
      const timer = setTimeout(() => {
        proc.kill('SIGKILL');
        reject(new Error(`${name} did not start in 30 s:\n${logs.slice(-20).join('\n')}`));
      }, 30_000);
      const onLine = (l: string) => {
        logs.push(l);
        if (logs.length > 5000) logs.shift();
        if (ready.test(l)) {
          clearTimeout(timer);
          resolve();
        }
      };
      createInterface({ input: proc.stdout! }).on('line', onLine);
      createInterface({ input: proc.stderr! }).on('line', onLine);
      proc.once('error', (e) => {
        clearTimeout(timer);
        reject(e);
      });
      proc.once('exit', (code, signal) => {
        clearTimeout(timer);
        reject(new Error(`${name} exited with ${code ?? signal}:\n${logs.slice(-20).join('\n')}`));
      });
    });
  const stop = async (opts: { kill?: boolean } = {}) => {
    if (proc.exitCode === null && proc.signalCode === null) proc.kill(opts.kill ? 'SIGKILL' : 'SIGTERM');
    const t = setTimeout(() => proc.kill('SIGKILL'), 10_000);
    await exited;
    clearTimeout(t);
  };
  const dispose = async () => {
    await stop();
    rmSync(dir, { recursive: true, force: true });
  };
  try {
    await launch();
  } catch (e) {
    rmSync(dir, { recursive: true, force: true });
    throw e;
  }
  return { logs, stop, restart: launch, dispose };
}

/**
 * ngircd on a random loopback address, port 6667, in the foreground. Started as root it
 * drops to `nobody` by itself (it refuses to serve as root), so its directory and PID file
 * are made reachable for that user; nothing else it needs is written.
 */
export async function startNgircd(): Promise<NgircdProcess> {
  const cmd = requireCommand('ngircd', 'ngircd');
  // another run may hold port 6667 on the same random address: a few addresses are tried
  for (let attempt = 1; ; attempt++) {
    try {
      return await startNgircdOn(cmd, randomLoopback());
    } catch (e) {
      if (attempt >= 3) throw e;
    }
  }
}

async function startNgircdOn(cmd: string, host: string): Promise<NgircdProcess> {
  const dir = mkdtempSync(join(tmpdir(), 'parley-ngircd-'));
  chmodSync(dir, 0o711);
  const port = 6667;
  const pidFile = join(dir, 'ngircd.pid');
  writeFileSync(pidFile, '');
  chmodSync(pidFile, 0o666);
  const config = join(dir, 'ngircd.conf');
  writeFileSync(
    config,
    `[Global]
	Name = irc.parley.test
	Info = Parley transport test
	AdminInfo1 = Parley end-to-end tests
	AdminInfo2 = loopback only
	AdminEMail = nobody@parley.test
	Listen = ${host}
	Ports = ${port}
	MotdPhrase = "Parley test network"
	PidFile = ${pidFile}
[Limits]
	MaxConnectionsIP = 0
	MaxJoins = 0
[Options]
	DNS = no
	Ident = no
	PAM = no
`,
  );
  chmodSync(config, 0o644);
  const p = await supervise('ngircd', dir, cmd, ['--nodaemon', '--config', config], /Server ".*" .*ready\./);
  return { ...p, host, port };
}

/**
 * biboumi as the component `hostname`, connecting to the gateway's component port on
 * 127.0.0.1 with `secret`, bound to the one IRC server `ircServer` (`fixed_irc_server`:
 * channels are `#chan@hostname`). Its database is SQLite in its own directory; its
 * identd is off (it would listen on port 113 of every address). It is ready once it logs
 * its successful handshake.
 */
export async function startBiboumi(o: { hostname: string; secret: string; componentPort: number; ircServer: string }): Promise<BiboumiProcess> {
  const cmd = requireCommand('biboumi', 'biboumi');
  const dir = mkdtempSync(join(tmpdir(), 'parley-biboumi-'));
  const dbPath = join(dir, 'biboumi.sqlite');
  const config = join(dir, 'biboumi.cfg');
  // option=value, no spaces around '=' (biboumi(1)); the secret is given in the
  // environment (BIBOUMI_PASSWORD overrides the file), so it is never written to disk
  writeFileSync(
    config,
    [
      `hostname=${o.hostname}`,
      'xmpp_server_ip=127.0.0.1',
      `port=${o.componentPort}`,
      `db_name=${dbPath}`,
      'log_level=0',
      `fixed_irc_server=${o.ircServer}`,
      'identd_port=0',
      `policy_directory=${dir}`,
      'realname_customization=false',
      '',
    ].join('\n'),
  );
  const p = await supervise('biboumi', dir, cmd, [config], /Authenticated with the XMPP server/, { ...process.env, BIBOUMI_PASSWORD: o.secret });
  return { ...p, hostname: o.hostname, dbPath };
}

/** One parsed IRC line (RFC 1459 §2.3.1): `:prefix COMMAND params… :trailing`. */
export interface IrcLine {
  prefix?: string;
  command: string;
  params: string[];
}

export function parseIrcLine(line: string): IrcLine {
  let rest = line;
  let prefix: string | undefined;
  if (rest.startsWith(':')) {
    const sp = rest.indexOf(' ');
    prefix = rest.slice(1, sp < 0 ? undefined : sp);
    rest = sp < 0 ? '' : rest.slice(sp + 1);
  }
  const params: string[] = [];
  let command = '';
  while (rest.length > 0) {
    if (rest.startsWith(':') && command) {
      params.push(rest.slice(1));
      break;
    }
    const sp = rest.indexOf(' ');
    const word = sp < 0 ? rest : rest.slice(0, sp);
    rest = sp < 0 ? '' : rest.slice(sp + 1);
    if (!word) continue;
    if (!command) command = word.toUpperCase();
    else params.push(word);
  }
  return { prefix, command, params };
}

/** The nick of a `nick!user@host` prefix. */
export const nickOf = (prefix?: string) => (prefix ?? '').split('!')[0];

/** A raw IRC client on a real socket: registers, answers PING, keeps every line it got. */
export interface IrcClient {
  nick: string;
  lines: IrcLine[];
  send(line: string): void;
  /** Resolves with the first line (already received ones count) matching `pred`. */
  waitFor(pred: (l: IrcLine) => boolean, what: string, timeoutMs?: number): Promise<IrcLine>;
  quit(): Promise<void>;
}

export async function connectIrc(host: string, port: number, nick: string): Promise<IrcClient> {
  const socket: Socket = connect({ host, port });
  socket.setEncoding('utf8');
  const lines: IrcLine[] = [];
  const waiters = new Set<() => void>();
  let closed = false;
  const ended = new Promise<void>((r) => socket.once('close', () => r()));
  socket.once('close', () => {
    closed = true;
    for (const w of [...waiters]) w();
  });
  socket.on('error', () => undefined);
  const send = (line: string) => {
    if (!closed) socket.write(`${line}\r\n`);
  };
  createInterface({ input: socket, crlfDelay: Infinity }).on('line', (raw) => {
    const l = parseIrcLine(raw.replace(/\r$/, ''));
    if (l.command === 'PING') send(`PONG :${l.params[0] ?? ''}`);
    lines.push(l);
    if (lines.length > 5000) lines.shift();
    for (const w of [...waiters]) w();
  });
  const waitFor = (pred: (l: IrcLine) => boolean, what: string, timeoutMs = 20_000) =>
    new Promise<IrcLine>((resolve, reject) => {
      const check = () => {
        const f = lines.find(pred);
        if (f || closed) {
          clearTimeout(t);
          waiters.delete(check);
          if (f) resolve(f);
          else reject(new Error(`IRC ${nick}: connection closed while waiting for ${what}`));
        }
      };
      const t = setTimeout(() => {
        waiters.delete(check);
        reject(new Error(`IRC ${nick} timed out waiting for ${what}; got ${lines.slice(-5).map((l) => `${l.command} ${l.params.join(' ')}`).join(' | ')}`));
      }, timeoutMs);
      waiters.add(check);
      check();
    });
  await new Promise<void>((resolve, reject) => {
    socket.once('connect', resolve);
    socket.once('error', reject);
  });
  send(`NICK ${nick}`);
  send(`USER ${nick} 0 * :Parley test`);
  await waitFor((l) => l.command === '001', 'registration (001 RPL_WELCOME)');
  return {
    nick,
    lines,
    send,
    waitFor,
    quit: async () => {
      send('QUIT :bye');
      const t = setTimeout(() => socket.destroy(), 5_000);
      await ended;
      clearTimeout(t);
    },
  };
}
