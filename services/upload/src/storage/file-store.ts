// Where the bytes live: a port with two adapters (a directory, an S3-compatible bucket),
// chosen by UPLOAD_STORAGE. Every call streams: memory does not grow with file size.
import type { Readable } from 'node:stream';

/** Thrown by `write` when the body is not exactly the announced length. */
export class LengthMismatchError extends Error {
  constructor(readonly expected: number, readonly got: number) {
    super(`body of ${got} bytes where ${expected} were announced`);
    this.name = 'LengthMismatchError';
  }
}

export interface FileStore {
  /** Stores exactly `size` bytes from `body` under `key`; on any failure nothing remains under `key`. */
  write(key: string, body: Readable, size: number, contentType: string): Promise<void>;
  /** Streams the bytes `start..end` (inclusive; the whole file when absent). */
  read(key: string, range?: { start: number; end: number }): Promise<Readable>;
  /** Deletes `key`; a missing key is no error. */
  delete(key: string): Promise<void>;
  /** Whether the store answers (readiness). */
  ready(): Promise<boolean>;
}

export const FILE_STORE = Symbol('FILE_STORE');

/** Storage keys are file ids (base64url): nothing else reaches a path or an object key. */
export function assertKey(key: string): void {
  if (!/^[A-Za-z0-9_-]{16,128}$/.test(key)) throw new Error('bad storage key');
}
