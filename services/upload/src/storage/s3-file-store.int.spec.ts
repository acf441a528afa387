// The S3 file store against a real S3-protocol server (s3rver, on loopback): streamed
// writes of exact length, ranged reads, refusals that leave nothing behind, deletes.
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Readable } from 'node:stream';
import S3rver from 's3rver';
import { newFileId } from '../domain/rules';
import { LengthMismatchError } from './file-store';
import { FsFileStore } from './fs-file-store';
import { S3FileStore } from './s3-file-store';

const S3_PORT = 18421;

async function bytes(r: Readable): Promise<Buffer> {
  const parts: Buffer[] = [];
  for await (const c of r) parts.push(c as Buffer);
  return Buffer.concat(parts);
}

/** A body that produces `total` bytes in chunks without holding them all. */
function generated(total: number, chunk = 64 * 1024): Readable {
  let sent = 0;
  return new Readable({
    read() {
      if (sent >= total) return this.push(null);
      const n = Math.min(chunk, total - sent);
      const b = Buffer.alloc(n);
      for (let i = 0; i < n; i++) b[i] = (sent + i) % 251;
      sent += n;
      this.push(b);
    },
  });
}

describe.each([
  ['s3 (s3rver)', 's3'],
  ['filesystem', 'fs'],
] as const)('%s file store', (_label, kind) => {
  let dir: string;
  let server: S3rver | undefined;
  let store: S3FileStore | FsFileStore;

  beforeAll(async () => {
    dir = mkdtempSync(join(tmpdir(), 'parley-upload-store-'));
    if (kind === 's3') {
      server = new S3rver({ address: '127.0.0.1', port: S3_PORT, silent: true, directory: dir, configureBuckets: [{ name: 'parley-uploads' }] });
      await server.run();
      store = new S3FileStore({ endpoint: `http://127.0.0.1:${S3_PORT}`, region: 'us-east-1', bucket: 'parley-uploads', accessKeyId: 'S3RVER', secretAccessKey: 'S3RVER', forcePathStyle: true });
    } else {
      store = new FsFileStore(dir);
    }
  });
  afterAll(async () => {
    if (store instanceof S3FileStore) store.close();
    await server?.close();
    rmSync(dir, { recursive: true, force: true });
  });

  it('is ready', async () => {
    expect(await store.ready()).toBe(true);
  });

  it('stores a streamed body and reads it back whole and by range', async () => {
    const key = newFileId();
    const size = 3 * 1024 * 1024 + 17;
    await store.write(key, generated(size), size, 'application/octet-stream');
    const all = await bytes(await store.read(key));
    expect(all.length).toBe(size);
    expect(all[size - 1]).toBe((size - 1) % 251);
    const part = await bytes(await store.read(key, { start: 1000, end: 1009 }));
    expect([...part]).toEqual(Array.from({ length: 10 }, (_, i) => (1000 + i) % 251));
    await store.delete(key);
    await expect(store.read(key).then(bytes)).rejects.toBeDefined();
  });

  it('refuses a body shorter or longer than announced and keeps nothing', async () => {
    for (const [announced, actual] of [
      [100, 60],
      [100, 160],
    ]) {
      const key = newFileId();
      await expect(store.write(key, generated(actual, 16), announced, 'text/plain')).rejects.toBeInstanceOf(Error);
      // s3rver goes on writing an aborted PUT after the client left (an empty object may appear): the
      // sweep deletes the objects of slots never completed. The directory store keeps nothing at once.
      if (kind === 'fs') await expect(store.read(key).then(bytes)).rejects.toBeDefined();
      else await store.delete(key);
    }
    const key = newFileId();
    const err = await store.write(key, generated(10), 20, 'text/plain').catch((e) => e);
    expect(err instanceof LengthMismatchError || /length|size|content/i.test(String(err?.message ?? err))).toBe(true);
  });

  it('deletes a missing key without complaint', async () => {
    await expect(store.delete(newFileId())).resolves.toBeUndefined();
  });
});
