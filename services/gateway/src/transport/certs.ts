// TLS credentials: from files when configured, else a self-signed certificate for
// the domain, generated once and kept in DATA_DIR (development default).
import { createHash, X509Certificate } from 'node:crypto';
import { existsSync, mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { createSecureContext, SecureContext } from 'node:tls';

/** Certificate material and what SASL channel binding needs from it. */
export interface TlsMaterial {
  cert: string;
  key: string;
  context: SecureContext;
  /** RFC 5929 tls-server-end-point binding data (hash of our certificate). */
  serverEndPoint: Buffer;
}

function endPointHash(certPem: string): Buffer {
  // RFC 5929 §4.1: the certificate's signature hash, SHA-256 when that is MD5 or SHA-1.
  // Node 20 does not expose the signature algorithm; generated and typical certificates
  // are SHA-256 signed, so SHA-256 is used (a SHA-384/512-signed certificate would need more).
  return createHash('sha256').update(new X509Certificate(certPem).raw).digest();
}

/** Builds a secure context; TLS 1.2 is the floor. */
export function tlsFromPem(cert: string, key: string): TlsMaterial {
  const context = createSecureContext({ cert, key, minVersion: 'TLSv1.2' });
  return { cert, key, context, serverEndPoint: endPointHash(cert) };
}

/** Loads configured files, or generates and keeps a self-signed certificate for `domain`. */
export async function loadTls(o: { domain: string; certFile?: string; keyFile?: string; dataDir: string }): Promise<TlsMaterial> {
  if (o.certFile && o.keyFile) return tlsFromPem(readFileSync(o.certFile, 'utf8'), readFileSync(o.keyFile, 'utf8'));
  const dir = join(o.dataDir, 'tls');
  const certPath = join(dir, `${o.domain}.crt`);
  const keyPath = join(dir, `${o.domain}.key`);
  if (existsSync(certPath) && existsSync(keyPath)) return tlsFromPem(readFileSync(certPath, 'utf8'), readFileSync(keyPath, 'utf8'));
  const selfsigned = await import('selfsigned');
  const generate = (selfsigned as unknown as { generate: Function }).generate ?? (selfsigned as unknown as { default: { generate: Function } }).default.generate;
  const pems = await generate([{ name: 'commonName', value: o.domain }], {
    keySize: 2048,
    days: 825,
    algorithm: 'sha256',
    extensions: [{ name: 'subjectAltName', altNames: [{ type: 2, value: o.domain }, { type: 2, value: `*.${o.domain}` }] }],
  });
  mkdirSync(dir, { recursive: true });
  writeFileSync(keyPath, pems.private, { mode: 0o600 });
  writeFileSync(certPath, pems.cert);
  return tlsFromPem(pems.cert, pems.private);
}
