// A real Prosody (Debian's package, scripts/ensure-prosody.sh) as a federation peer for
// end-to-end tests: a plain process with its own configuration, certificate and data
// directory, serving one domain that is an IP literal on its own random loopback address
// (so that no DNS is involved and no two test runs collide), its c2s and s2s ports free
// ones on that address.
import { ChildProcess, execFileSync, spawn } from 'node:child_process';
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { createInterface } from 'node:readline';
import { freePort, randomLoopback } from '@parley/testing-peers';

export interface ProsodyProcess {
  /** Its domain: an IP literal, the address its s2s port listens on (c2s listens on 127.0.0.1). */
  domain: string;
  c2sPort: number;
  s2sPort: number;
  logs: string[];
  register(user: string, password: string): void;
  stop(): Promise<void>;
  /** Starts it again after stop(), same domain, ports and data. */
  restart(): Promise<void>;
}

export async function startProsody(opts: { s2sSecureAuth?: boolean } = {}): Promise<ProsodyProcess> {
  try {
    execFileSync('sh', ['-c', 'command -v prosody'], { stdio: 'ignore' });
  } catch {
    throw new Error("Debian's prosody is not installed (scripts/ensure-prosody.sh installs it; or apt-get install -y prosody)");
  }
  const dir = mkdtempSync(join(tmpdir(), 'parley-prosody-'));
  const domain = randomLoopback();
  const [c2sPort, s2sPort] = [await freePort('127.0.0.1'), await freePort(domain)];
  execFileSync('openssl', ['req', '-x509', '-newkey', 'rsa:2048', '-nodes', '-keyout', join(dir, 'key.pem'), '-out', join(dir, 'cert.pem'), '-days', '2', '-subj', `/CN=${domain}`], { stdio: 'ignore' });
  const config = join(dir, 'prosody.cfg.lua');
  writeFileSync(
    config,
    `run_as_root = true
daemonize = false
pidfile = "${dir}/prosody.pid"
data_path = "${dir}"
modules_enabled = { "roster"; "saslauth"; "tls"; "dialback"; "disco"; "ping"; "register" }
log = { { levels = { min = "debug" }, to = "console" } }
c2s_interfaces = { "127.0.0.1" }
c2s_ports = { ${c2sPort} }
s2s_interfaces = { "${domain}" }
s2s_ports = { ${s2sPort} }
c2s_require_encryption = true
s2s_require_encryption = true
s2s_secure_auth = ${opts.s2sSecureAuth ? 'true' : 'false'}
authentication = "internal_hashed"
certificates = "${dir}"
ssl = { certificate = "${dir}/cert.pem"; key = "${dir}/key.pem" }
http_ports = { }
https_ports = { }
VirtualHost "${domain}"
`,
  );
  const logs: string[] = [];
  let proc!: ChildProcess;
  let exited!: Promise<void>;
  const launch = () =>
    new Promise<void>((resolve, reject) => {
      proc = spawn('prosody', ['--config', config], { stdio: ['ignore', 'pipe', 'pipe'] });
      exited = new Promise<void>((r) => proc.once('exit', () => r()));
      const timer = setTimeout(() => reject(new Error(`prosody did not start:\n${logs.slice(-20).join('\n')}`)), 30_000);
      const onLine = (l: string) => {
        logs.push(l);
        if (logs.length > 5000) logs.shift();
        if (/Activated service 's2s'/.test(l)) {
          clearTimeout(timer);
          resolve();
        }
      };
      createInterface({ input: proc.stdout! }).on('line', onLine);
      createInterface({ input: proc.stderr! }).on('line', onLine);
      proc.once('exit', (code) => {
        clearTimeout(timer);
        reject(new Error(`prosody exited with ${code}:\n${logs.slice(-20).join('\n')}`));
      });
    });
  const stop = async () => {
    if (proc.exitCode === null && proc.signalCode === null) proc.kill('SIGTERM');
    const t = setTimeout(() => proc.kill('SIGKILL'), 10_000);
    await exited;
    clearTimeout(t);
  };
  await launch();
  return {
    domain,
    c2sPort,
    s2sPort,
    logs,
    register: (user, password) => {
      execFileSync('prosodyctl', ['--config', config, 'register', user, domain, password], { stdio: 'ignore' });
    },
    stop,
    restart: launch,
  };
}
