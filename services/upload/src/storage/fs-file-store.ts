// Files in a directory (a volume): `<dir>/<first two characters>/<id>`, written to a
// temporary name and renamed once complete, so a reader never sees half a file.
import { createReadStream, createWriteStream } from 'node:fs';
import { access, mkdir, rename, rm, constants } from 'node:fs/promises';
import { join } from 'node:path';
import { Readable, Transform } from 'node:stream';
import { pipeline } from 'node:stream/promises';
import { assertKey, FileStore, LengthMismatchError } from './file-store';

/** Counts the bytes going through and fails as soon as there are more than `size`, or at the end when fewer. */
export function exactLength(size: number): Transform {
  let seen = 0;
  return new Transform({
    transform(chunk: Buffer, _enc, cb) {
      seen += chunk.length;
      if (seen > size) return cb(new LengthMismatchError(size, seen));
      cb(null, chunk);
    },
    flush(cb) {
      cb(seen === size ? null : new LengthMismatchError(size, seen));
    },
  });
}

export class FsFileStore implements FileStore {
  constructor(private readonly dir: string) {}

  private path(key: string): string {
    assertKey(key);
    return join(this.dir, key.slice(0, 2), key);
  }

  async write(key: string, body: Readable, size: number): Promise<void> {
    const final = this.path(key);
    const temp = `${final}.partial`;
    await mkdir(join(this.dir, key.slice(0, 2)), { recursive: true });
    try {
      await pipeline(body, exactLength(size), createWriteStream(temp, { flags: 'wx', mode: 0o640 }));
      await rename(temp, final);
    } catch (e) {
      await rm(temp, { force: true });
      throw e;
    }
  }

  async read(key: string, range?: { start: number; end: number }): Promise<Readable> {
    const p = this.path(key);
    await access(p, constants.R_OK);
    return createReadStream(p, range ? { start: range.start, end: range.end } : {});
  }

  async delete(key: string): Promise<void> {
    const p = this.path(key);
    await rm(p, { force: true });
    await rm(`${p}.partial`, { force: true });
  }

  async ready(): Promise<boolean> {
    try {
      await mkdir(this.dir, { recursive: true });
      await access(this.dir, constants.W_OK);
      return true;
    } catch {
      return false;
    }
  }
}
