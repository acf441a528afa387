// Client side of SCRAM (RFC 5802, SHA-256 per RFC 7677) for the load generator:
// no channel binding (gs2 header `n,,`), node:crypto only. The expensive PBKDF2
// step is cached per (hash, user, salt, iterations), which RFC 5802 §5.1 allows
// clients to do, so thousands of logins cost the generator a few HMACs each and
// leave the CPU to the server under test.
import { createHash, createHmac, pbkdf2Sync, randomBytes, timingSafeEqual } from 'node:crypto';

/** Hash functions the client supports. */
export type ScramHashName = 'sha1' | 'sha256';

/** SASL mechanism name of a hash. */
export const SCRAM_MECHANISM: Record<ScramHashName, string> = { sha1: 'SCRAM-SHA-1', sha256: 'SCRAM-SHA-256' };

const KEY_LENGTH: Record<ScramHashName, number> = { sha1: 20, sha256: 32 };

/** Keys derived from a password; everything a client needs to prove it and check the server. */
export interface ScramKeys {
  clientKey: Buffer;
  storedKey: Buffer;
  serverKey: Buffer;
}

/** Derives SaltedPassword → ClientKey, StoredKey, ServerKey (RFC 5802 §3). */
export function deriveScramKeys(hash: ScramHashName, password: string, salt: Buffer, iterations: number): ScramKeys {
  const salted = pbkdf2Sync(password.normalize('NFKC'), salt, iterations, KEY_LENGTH[hash], hash);
  const clientKey = createHmac(hash, salted).update('Client Key').digest();
  return {
    clientKey,
    storedKey: createHash(hash).update(clientKey).digest(),
    serverKey: createHmac(hash, salted).update('Server Key').digest(),
  };
}

/**
 * Keys per (hash, username, salt, iterations). A username's password is assumed not
 * to change while a cache is in use (true for a benchmark run); the password itself
 * is not part of the key.
 */
export class ScramKeyCache {
  private readonly keys = new Map<string, ScramKeys>();
  /** How many PBKDF2 derivations ran (cache misses). */
  derivations = 0;

  get(hash: ScramHashName, username: string, password: string, saltB64: string, iterations: number): ScramKeys {
    const k = `${hash}\u0000${username}\u0000${saltB64}\u0000${iterations}`;
    let keys = this.keys.get(k);
    if (!keys) {
      this.derivations += 1;
      keys = deriveScramKeys(hash, password, Buffer.from(saltB64, 'base64'), iterations);
      this.keys.set(k, keys);
    }
    return keys;
  }

  get size(): number {
    return this.keys.size;
  }
}

/** Thrown when the server's messages are malformed, refuse us, or fail verification. */
export class ScramError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'ScramError';
  }
}

/** Escapes a username as a SCRAM saslname (RFC 5802 §5.1: `=` → `=3D`, `,` → `=2C`). */
export function saslname(s: string): string {
  return s.replace(/=/g, '=3D').replace(/,/g, '=2C');
}

/** Splits `a=1,b=2` into attributes (values may contain `=`). */
export function parseScramAttributes(msg: string): Record<string, string> {
  const out: Record<string, string> = {};
  for (const part of msg.split(',')) {
    const i = part.indexOf('=');
    if (i === 1) out[part[0]] = part.slice(2);
  }
  return out;
}

const GS2_HEADER_B64 = Buffer.from('n,,').toString('base64'); // "biws"

/** One SCRAM exchange: `first()`, then `final(serverFirst)`, then `verify(serverFinal)`. */
export class ScramClient {
  private readonly cnonce: string;
  private firstBare = '';
  private expectedServerSignature?: Buffer;

  constructor(
    readonly hash: ScramHashName,
    private readonly username: string,
    private readonly password: string,
    private readonly cache: ScramKeyCache,
    nonce?: string,
  ) {
    this.cnonce = nonce ?? randomBytes(18).toString('base64');
  }

  /** client-first-message: `n,,n=<user>,r=<cnonce>`. */
  first(): string {
    this.firstBare = `n=${saslname(this.username)},r=${this.cnonce}`;
    return `n,,${this.firstBare}`;
  }

  /** client-final-message for the server-first-message. */
  final(serverFirst: string): string {
    if (!this.firstBare) throw new ScramError('first() was not called');
    const a = parseScramAttributes(serverFirst);
    if (a.e !== undefined) throw new ScramError(`server error: ${a.e}`);
    if (serverFirst.startsWith('m=')) throw new ScramError('server requires an unsupported extension');
    const { r, s } = a;
    const i = Number(a.i);
    if (!r || !s || !a.i) throw new ScramError('server-first-message lacks r, s or i');
    if (!r.startsWith(this.cnonce) || r.length <= this.cnonce.length) throw new ScramError('server nonce does not extend the client nonce');
    if (!Number.isInteger(i) || i < 1 || i > 10_000_000) throw new ScramError(`bad iteration count ${a.i}`);
    const keys = this.cache.get(this.hash, this.username, this.password, s, i);
    const withoutProof = `c=${GS2_HEADER_B64},r=${r}`;
    const authMessage = `${this.firstBare},${serverFirst},${withoutProof}`;
    const clientSignature = createHmac(this.hash, keys.storedKey).update(authMessage).digest();
    const proof = Buffer.allocUnsafe(clientSignature.length);
    for (let k = 0; k < proof.length; k++) proof[k] = keys.clientKey[k] ^ clientSignature[k];
    this.expectedServerSignature = createHmac(this.hash, keys.serverKey).update(authMessage).digest();
    return `${withoutProof},p=${proof.toString('base64')}`;
  }

  /** Checks the server-final-message (`v=<signature>`); throws unless it proves the server knows our keys. */
  verify(serverFinal: string): void {
    if (!this.expectedServerSignature) throw new ScramError('final() was not called');
    const a = parseScramAttributes(serverFinal);
    if (a.e !== undefined) throw new ScramError(`server error: ${a.e}`);
    if (!a.v) throw new ScramError('server-final-message lacks v');
    const got = Buffer.from(a.v, 'base64');
    if (got.length !== this.expectedServerSignature.length || !timingSafeEqual(got, this.expectedServerSignature)) {
      throw new ScramError('server signature does not verify');
    }
  }
}
