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
  /** Its direct-TLS s2s port (XEP-0368), with `s2sDirectTls`. */
  s2sTlsPort?: number;
  logs: string[];
  register(user: string, password: string): void;
  stop(): Promise<void>;
  /** Starts it again after stop(), same domain, ports and data. */
  restart(): Promise<void>;
}

// the address helpers moved to @parley/testing-peers; re-exported for the suites that import them from here
export { freePort, randomLoopback };

export interface ProsodyOptions {
  /** `s2s_secure_auth`: peers must authenticate by certificate (default false, Prosody's own default). */
  s2sSecureAuth?: boolean;
  /** A PEM bundle of the authorities Prosody trusts for peer certificates (`ssl.cafile`). */
  caFile?: string;
  /** Makes Prosody's certificate for its domain; default a self-signed one. */
  certificate?: (domain: string) => { certFile: string; keyFile: string };
  /** Also listen for direct-TLS s2s (XEP-0368, `s2s_direct_tls_ports`) on a free port of its address. */
  s2sDirectTls?: boolean;
}

export async function startProsody(opts: ProsodyOptions = {}): Promise<ProsodyProcess> {
  try {
    execFileSync('sh', ['-c', 'command -v prosody'], { stdio: 'ignore' });
  } catch {
    throw new Error("Debian's prosody is not installed (scripts/ensure-prosody.sh installs it; or apt-get install -y prosody)");
  }
  const dir = mkdtempSync(join(tmpdir(), 'parley-prosody-'));
  const domain = randomLoopback();
  const [c2sPort, s2sPort] = [await freePort('127.0.0.1'), await freePort(domain)];
  const s2sTlsPort = opts.s2sDirectTls ? await freePort(domain) : undefined;
  let certFile = join(dir, 'cert.pem');
  let keyFile = join(dir, 'key.pem');
  if (opts.certificate) ({ certFile, keyFile } = opts.certificate(domain));
  else execFileSync('openssl', ['req', '-x509', '-newkey', 'rsa:2048', '-nodes', '-keyout', keyFile, '-out', certFile, '-days', '2', '-subj', `/CN=${domain}`], { stdio: 'ignore' });
  const ssl = `{ certificate = "${certFile}"; key = "${keyFile}"${opts.caFile ? `; cafile = "${opts.caFile}"` : ''} }`;
  const directTls = s2sTlsPort ? `s2s_direct_tls_interfaces = { "${domain}" }\ns2s_direct_tls_ports = { ${s2sTlsPort} }\ns2s_direct_tls_ssl = ${ssl}\n` : '';
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
ssl = ${ssl}
${directTls}http_ports = { }
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
      const activated = new Set<string>();
      exited = new Promise<void>((r) => proc.once('exit', () => r()));
      const timer = setTimeout(() => {
        proc.kill('SIGKILL'); // not left running behind a failed start
        reject(new Error(`prosody did not start:\n${logs.slice(-20).join('\n')}`));
      }, 30_000);
      const onLine = (l: string) => {
        logs.push(l);
        if (logs.length > 5000) logs.shift();
        if (/Activated service 's2s(_direct_tls)?'/.test(l)) activated.add(/_direct_tls/.test(l) ? 'direct' : 's2s');
        if (activated.has('s2s') && (!s2sTlsPort || activated.has('direct'))) {
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
    ...(s2sTlsPort ? { s2sTlsPort } : {}),
    logs,
    register: (user, password) => {
      execFileSync('prosodyctl', ['--config', config, 'register', user, domain, password], { stdio: 'ignore' });
    },
    stop,
    restart: launch,
  };
}
