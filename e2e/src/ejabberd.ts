// A real ejabberd (Debian's 23.01, scripts/ensure-ejabberd.sh) as a federation peer for
// end-to-end tests, started by @parley/testing-peers as the benchmark's comparison mode
// starts it (`erl … -s ejabberd`, not distributed, its own configuration and Mnesia
// directory, as its system user when we are root). It serves one domain that is an IP
// literal on its own random loopback address, its s2s listener on a free port of that
// address, c2s on a free port of 127.0.0.1; STARTTLS required on s2s, dialback on.
import { execFileSync } from 'node:child_process';
import { chmodSync, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { freePort, PeerServer, randomLoopback, startEjabberd as startPeer } from '@parley/testing-peers';
import { registerInBand } from '@parley/testing-xmpp';

export interface EjabberdProcess {
  /** Its domain: an IP literal, the address its s2s listener binds. */
  domain: string;
  c2sPort: number;
  s2sPort: number;
  /** The end of its output and log file (for failure messages). */
  logTail(): string[];
  /** In-band registration over its c2s port (STARTTLS first). */
  register(user: string, password: string): Promise<void>;
  stop(): Promise<void>;
  /** Starts it again after stop(): same domain, ports and Mnesia data. */
  restart(): Promise<void>;
  /** Stops it and removes its directory (configuration, certificate, Mnesia data, logs). */
  remove(): Promise<void>;
}

export async function startEjabberd(): Promise<EjabberdProcess> {
  try {
    execFileSync('sh', ['-c', 'command -v erl && command -v ejabberdctl'], { stdio: 'ignore' });
  } catch {
    throw new Error("Debian's ejabberd is not installed (scripts/ensure-ejabberd.sh installs it; or apt-get install -y ejabberd)");
  }
  const scratchDir = mkdtempSync(join(tmpdir(), 'parley-ejabberd-'));
  chmodSync(scratchDir, 0o711); // it runs as its system user when we are root
  const domain = randomLoopback();
  const [c2sPort, s2sPort] = [await freePort('127.0.0.1'), await freePort(domain)];
  const certFile = join(scratchDir, 'cert.pem');
  const keyFile = join(scratchDir, 'key.pem');
  execFileSync('openssl', ['req', '-x509', '-newkey', 'rsa:2048', '-nodes', '-keyout', keyFile, '-out', certFile, '-days', '2', '-subj', `/CN=${domain}`, '-addext', `subjectAltName=IP:${domain}`], { stdio: 'ignore' });
  const options = { domain, scratchDir, certFile, keyFile, scramIterations: 4096, port: c2sPort, s2s: { address: domain, port: s2sPort, starttls: 'required' as const }, logLevel: 'info' as const, timeoutMs: 90_000 };
  let server: PeerServer = await startPeer(options);
  return {
    domain,
    c2sPort,
    s2sPort,
    logTail: () => server.logTail(),
    register: async (user, password) => {
      const answer = await registerInBand(c2sPort, user, password, domain);
      if (!/type=.result./.test(answer)) throw new Error(`ejabberd refused to register ${user}: ${answer}`);
    },
    stop: () => server.stop(),
    restart: async () => {
      server = await startPeer(options);
    },
    remove: async () => {
      await server.stop();
      rmSync(scratchDir, { recursive: true, force: true });
    },
  };
}
