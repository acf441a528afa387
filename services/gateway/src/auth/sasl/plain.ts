// SASL PLAIN (RFC 4616), offered only inside TLS. The password is checked against
// the stored SCRAM-SHA-256 keys and then forgotten.
import { deriveScramCredentials, SaslPrepError, timingSafeEqualBuffers, type ScramCredentials } from './scram';

/** Parsed PLAIN message. */
export interface PlainMessage {
  authzid: string;
  authcid: string;
  password: string;
}

/** Splits `authzid NUL authcid NUL passwd`; undefined when malformed. */
export function parsePlain(data: Buffer): PlainMessage | undefined {
  const parts = data.toString('utf8').split('\u0000');
  if (parts.length !== 3 || !parts[1] || !parts[2]) return undefined;
  return { authzid: parts[0], authcid: parts[1], password: parts[2] };
}

/** True when `password` yields the stored StoredKey. */
export async function verifyPlain(password: string, creds: ScramCredentials): Promise<boolean> {
  try {
    const derived = await deriveScramCredentials(password, 'sha256', { salt: creds.salt, iterations: creds.iterations });
    return timingSafeEqualBuffers(derived.storedKey, creds.storedKey);
  } catch (e) {
    if (e instanceof SaslPrepError) return false; // a password SASLprep forbids can never match
    throw e;
  }
}
