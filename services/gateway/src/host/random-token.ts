// Random tokens for stream ids, generated resources, SCRAM nonces and resumption ids,
// cut from a pool filled by the CSPRNG 4 KiB at a time: a login asked it four times,
// and each randomBytes() call was a trip into OpenSSL (~5 % of the gateway's CPU in the
// login benchmark). Every byte is used once; callers get strings, never views of the pool.
import { randomFillSync } from 'node:crypto';

const POOL_BYTES = 4096;
const pool = Buffer.allocUnsafe(POOL_BYTES);
let offset = POOL_BYTES;

/** `bytes` fresh random bytes (at most 256), encoded. */
export function randomToken(bytes: number, encoding: 'hex' | 'base64' | 'base64url'): string {
  if (!Number.isInteger(bytes) || bytes < 1 || bytes > 256) throw new RangeError(`randomToken: ${bytes} bytes`);
  if (offset + bytes > POOL_BYTES) {
    randomFillSync(pool);
    offset = 0;
  }
  const s = pool.toString(encoding, offset, offset + bytes);
  offset += bytes;
  return s;
}
