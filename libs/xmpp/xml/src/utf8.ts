// UTF-8 arriving in arbitrary pieces (RFC 6120 §11.6: a stream is UTF-8, and bytes that
// are not are a `not-well-formed` stream error), decoded without per-stream native state.
// A streaming `TextDecoder` holds an ICU converter for as long as the connection lives
// (~1 KiB of native memory per idle session) and a new one per stream restart; here a
// piece is validated with `buffer.isUtf8` (simdutf) and decoded with `toString('utf8')`,
// and only the bytes of a sequence cut at the piece's end (at most three) wait for the
// next piece.
import { isUtf8 } from 'node:buffer';

/** Thrown by {@link Utf8Pieces.decode} for bytes that are not UTF-8. */
export class InvalidUtf8Error extends Error {
  constructor() {
    super('invalid UTF-8');
    this.name = 'InvalidUtf8Error';
  }
}

/**
 * Where the last complete sequence of `buf` ends: `buf.length`, or less when `buf` ends
 * inside a sequence whose lead byte promises more bytes than follow it. Bytes that are
 * no possible start (0xF8…0xFF, or more than three trailing continuation bytes) count
 * as complete, so that validation rejects them now rather than waiting for more.
 */
export function completeLength(buf: Uint8Array): number {
  const n = buf.length;
  for (let back = 1; back <= 3 && back <= n; back++) {
    const b = buf[n - back];
    if ((b & 0xc0) === 0x80) continue; // a continuation byte: look further back for its lead
    if (b < 0xc0 || b >= 0xf8) return n; // ASCII ends a sequence; 0xF8… never starts one
    const need = b >= 0xf0 ? 4 : b >= 0xe0 ? 3 : 2;
    return need > back ? n - back : n;
  }
  return n;
}

/** One stream's decoder: UTF-8 pieces in, strings out, a cut sequence carried over. */
export class Utf8Pieces {
  private carry: Buffer | undefined;

  /** Whether bytes of an unfinished sequence wait for the next piece. */
  get pending(): boolean {
    return this.carry !== undefined;
  }

  /** Decodes a piece; throws InvalidUtf8Error (the stream is then unusable). */
  decode(piece: Buffer): string {
    let buf = piece;
    if (this.carry) {
      buf = Buffer.concat([this.carry, piece]);
      this.carry = undefined;
    }
    const end = completeLength(buf);
    if (end < buf.length) {
      this.carry = Buffer.from(buf.subarray(end)); // a copy: the piece's memory is the caller's
      buf = buf.subarray(0, end);
    }
    if (!isUtf8(buf)) throw new InvalidUtf8Error();
    return buf.toString('utf8');
  }
}
