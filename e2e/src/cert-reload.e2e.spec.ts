// End-to-end: a renewed certificate (cert-manager rewrites the Secret's files) is used for
// new connections without a restart — direct TLS, STARTTLS and WebSocket — while an open
// session goes on over its old one; a broken renewal is ignored.
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { connect as tlsConnect, TLSSocket } from 'node:tls';
import { waitFor } from '@parley/testing-stack';
import { connectClient, GatewayProcess, rawStartTls, TestClient, xml } from '@parley/testing-xmpp';
import { e2eUsers, E2EStack, startStack } from './stack';

jest.setTimeout(120_000);

async function selfSigned(cn: string): Promise<{ cert: string; key: string }> {
  const selfsigned = await import('selfsigned');
  const generate = (selfsigned as unknown as { generate: Function }).generate ?? (selfsigned as unknown as { default: { generate: Function } }).default.generate;
  const p = await generate([{ name: 'commonName', value: cn }], { keySize: 2048, days: 30, algorithm: 'sha256', extensions: [{ name: 'subjectAltName', altNames: [{ type: 2, value: 'localhost' }] }] });
  return { cert: p.cert, key: p.private };
}

/** The fingerprint of the certificate a fresh direct-TLS (or HTTPS) connection is shown. */
function presented(port: number): Promise<string> {
  return new Promise((resolve, reject) => {
    const s = tlsConnect({ port, host: '127.0.0.1', servername: 'localhost', rejectUnauthorized: false }, () => {
      const fp = s.getPeerCertificate().fingerprint256;
      s.destroy();
      resolve(fp);
    });
    s.once('error', reject);
  });
}

describe('certificate renewal without a restart', () => {
  let stack: E2EStack;
  let gw: GatewayProcess;
  const dir = mkdtempSync(join(tmpdir(), 'parley-certs-'));
  const certFile = join(dir, 'tls.crt');
  const keyFile = join(dir, 'tls.key');
  const users = e2eUsers('cert reload password 1', () => gw.starttlsPort);
  let old: TestClient;

  beforeAll(async () => {
    const first = await selfSigned('first');
    writeFileSync(certFile, first.cert);
    writeFileSync(keyFile, first.key);
    stack = await startStack('certs');
    gw = await stack.startGateway({ TLS_CERT_FILE: certFile, TLS_KEY_FILE: keyFile, TLS_RELOAD_CHECK: '200ms' });
  });

  afterAll(async () => {
    await Promise.all(users.clients.map((c) => c.stop()));
    await stack?.stop();
  });

  it('new connections get the renewed certificate, open sessions keep going, a broken pair is ignored', async () => {
    const before = await presented(gw.directTlsPort);
    const [alice] = await users.accounts('alice');
    old = await users.login(gw, alice);

    const second = await selfSigned('second');
    writeFileSync(keyFile, second.key);
    writeFileSync(certFile, second.cert);
    const after = await waitFor(async () => {
      const fp = await presented(gw.directTlsPort);
      return fp !== before ? fp : undefined;
    }, { what: 'the renewed certificate on direct TLS', timeoutMs: 20_000 });
    expect(await presented(gw.webSocketPort)).toBe(after);
    const starttls = await rawStartTls(gw.starttlsPort);
    expect((starttls.socket as TLSSocket).getPeerCertificate().fingerprint256).toBe(after);
    starttls.close();
    // the session opened before the renewal still works
    await old.iq(xml('iq', { type: 'get', to: 'localhost' }, xml('ping', { xmlns: 'urn:xmpp:ping' })));
    // and a client logs in with the new one (SCRAM channel binding included when offered)
    const fresh = await connectClient({ port: gw.starttlsPort, username: alice, password: 'cert reload password 1', resource: 'fresh' });
    users.clients.push(fresh);

    // a key that does not match its certificate: ignored, the renewed pair stays in use
    const third = await selfSigned('third');
    writeFileSync(certFile, third.cert); // key not updated
    await waitFor(() => gw.logs.some((l) => l.includes('could not be loaded')), { what: 'the broken pair to be refused', timeoutMs: 20_000 });
    expect(await presented(gw.directTlsPort)).toBe(after);
  });
});
