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

/** Signature algorithms by OID (RFC 4055, RFC 5758) and the hash each signs with. */
const SIGNATURE_HASHES: Record<string, string> = {
  '1.2.840.113549.1.1.4': 'md5', // md5WithRSAEncryption
  '1.2.840.113549.1.1.5': 'sha1', // sha1WithRSAEncryption
  '1.2.840.113549.1.1.11': 'sha256',
  '1.2.840.113549.1.1.12': 'sha384',
  '1.2.840.113549.1.1.13': 'sha512',
  '1.2.840.10045.4.1': 'sha1', // ecdsa-with-SHA1
  '1.2.840.10045.4.3.2': 'sha256',
  '1.2.840.10045.4.3.3': 'sha384',
  '1.2.840.10045.4.3.4': 'sha512',
};

/** Reads one DER TLV header at `at`: the content's start and length. */
function derItem(der: Buffer, at: number): { tag: number; start: number; length: number } {
  const tag = der[at];
  let length = der[at + 1];
  let start = at + 2;
  if (length & 0x80) {
    const n = length & 0x7f;
    length = 0;
    for (let i = 0; i < n; i++) length = length * 256 + der[start + i];
    start += n;
  }
  if (start + length > der.length) throw new Error('truncated DER');
  return { tag, start, length };
}

/** Decodes a DER OBJECT IDENTIFIER's content. */
function oidOf(bytes: Buffer): string {
  const parts = [Math.floor(bytes[0] / 40), bytes[0] % 40];
  let v = 0;
  for (const b of bytes.subarray(1)) {
    v = v * 128 + (b & 0x7f);
    if (!(b & 0x80)) {
      parts.push(v);
      v = 0;
    }
  }
  return parts.join('.');
}

/**
 * The hash of a certificate's signature algorithm (its outer `signatureAlgorithm`,
 * RFC 5280 §4.1.1.2), or undefined for one that names none here (RSASSA-PSS, EdDSA).
 */
export function signatureHashOf(certDer: Buffer): string | undefined {
  const cert = derItem(certDer, 0); // Certificate ::= SEQUENCE
  const tbs = derItem(certDer, cert.start); // tbsCertificate
  const alg = derItem(certDer, tbs.start + tbs.length); // signatureAlgorithm ::= SEQUENCE { OID, params }
  const oid = derItem(certDer, alg.start);
  if (oid.tag !== 0x06) return undefined;
  return SIGNATURE_HASHES[oidOf(certDer.subarray(oid.start, oid.start + oid.length))];
}

/**
 * RFC 5929 §4.1 tls-server-end-point: the certificate hashed with its signature's hash
 * function, SHA-256 when that is MD5 or SHA-1 (or names no single hash).
 */
export function endPointHash(certPem: string): Buffer {
  return endPointHashDer(new X509Certificate(certPem).raw);
}

/** {@link endPointHash} of a DER certificate. */
export function endPointHashDer(der: Buffer): Buffer {
  const h = signatureHashOf(der);
  return createHash(h === 'sha384' || h === 'sha512' ? h : 'sha256').update(der).digest();
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
