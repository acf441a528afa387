// RFC 5929 §4.1 tls-server-end-point: the certificate is hashed with the hash of its
// own signature algorithm (SHA-256 for MD5/SHA-1), read from the certificate's DER.
import { createHash, X509Certificate } from 'node:crypto';
import { endPointHash, signatureHashOf } from './certs';

async function selfSigned(algorithm: string): Promise<string> {
  const selfsigned = await import('selfsigned');
  const generate = (selfsigned as unknown as { generate?: Function }).generate ?? (selfsigned as unknown as { default: { generate: Function } }).default.generate;
  const pems = await generate([{ name: 'commonName', value: 'example.org' }], { keySize: 2048, days: 1, algorithm });
  return pems.cert as string;
}

describe('tls-server-end-point', () => {
  it.each([
    ['sha1', 'sha1', 'sha256'],
    ['sha256', 'sha256', 'sha256'],
    ['sha384', 'sha384', 'sha384'],
    ['sha512', 'sha512', 'sha512'],
  ])('hashes a %s-signed certificate with %s (binding hash %s)', async (algorithm, signature, binding) => {
    const pem = await selfSigned(algorithm);
    const der = new X509Certificate(pem).raw;
    expect(signatureHashOf(der)).toBe(signature);
    expect(endPointHash(pem).equals(createHash(binding).update(der).digest())).toBe(true);
  });

  it('refuses a truncated certificate instead of reading past it', () => {
    expect(() => signatureHashOf(Buffer.from([0x30, 0x82, 0x05, 0x00, 0x30, 0x10]))).toThrow(/truncated/);
  });
});
