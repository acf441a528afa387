// Files in an S3-compatible bucket (AWS S3, MinIO, Ceph RGW, Garage, ...). PUT streams
// the request body with its known length; GET streams the object (with a Range header
// for partial reads). Objects are written once: a replaced key cannot happen because
// the database hands out each slot to one PUT only.
import { DeleteObjectCommand, GetObjectCommand, HeadBucketCommand, PutObjectCommand, S3Client } from '@aws-sdk/client-s3';
import { Readable } from 'node:stream';
import { exactLength } from './fs-file-store';
import { assertKey, FileStore } from './file-store';

export interface S3Options {
  endpoint?: string;
  region: string;
  bucket: string;
  accessKeyId?: string;
  secretAccessKey?: string;
  forcePathStyle: boolean;
}

export class S3FileStore implements FileStore {
  private readonly s3: S3Client;
  constructor(private readonly o: S3Options) {
    this.s3 = new S3Client({
      region: o.region,
      endpoint: o.endpoint || undefined,
      forcePathStyle: o.forcePathStyle,
      credentials: o.accessKeyId && o.secretAccessKey ? { accessKeyId: o.accessKeyId, secretAccessKey: o.secretAccessKey } : undefined,
      // Checksums of streamed bodies would need the whole body first (or aws-chunked encoding, which not every store speaks).
      requestChecksumCalculation: 'WHEN_REQUIRED',
      responseChecksumValidation: 'WHEN_REQUIRED',
    });
  }

  async write(key: string, body: Readable, size: number, contentType: string): Promise<void> {
    assertKey(key);
    const counted = exactLength(size);
    const abort = new AbortController();
    // A body of the wrong length, or a client that goes away, fails the stream: abort the request and keep nothing.
    const failed = new Promise<never>((_, reject) => {
      counted.once('error', reject);
      body.once('error', reject);
      body.once('aborted', () => reject(new Error('the client aborted the upload')));
    });
    failed.catch(() => abort.abort());
    body.pipe(counted);
    const sent = this.s3.send(new PutObjectCommand({ Bucket: this.o.bucket, Key: key, Body: counted, ContentLength: size, ContentType: contentType }), { abortSignal: abort.signal });
    try {
      await Promise.race([sent, failed]);
      // The object store stops reading at ContentLength: a longer body shows only once the rest arrived.
      if (!counted.writableFinished) await new Promise<void>((resolve, reject) => (counted.once('finish', resolve), failed.catch(reject)));
    } catch (e) {
      body.unpipe(counted);
      counted.destroy();
      abort.abort();
      // Delete only once the aborted request is over, so that nothing it might still create stays behind.
      await sent.catch(() => undefined);
      await this.delete(key).catch(() => undefined);
      throw e;
    }
  }

  async read(key: string, range?: { start: number; end: number }): Promise<Readable> {
    assertKey(key);
    const r = await this.s3.send(new GetObjectCommand({ Bucket: this.o.bucket, Key: key, Range: range ? `bytes=${range.start}-${range.end}` : undefined }));
    if (!(r.Body instanceof Readable)) throw new Error('the object store returned no stream');
    return r.Body;
  }

  async delete(key: string): Promise<void> {
    assertKey(key);
    await this.s3.send(new DeleteObjectCommand({ Bucket: this.o.bucket, Key: key }));
  }

  async ready(): Promise<boolean> {
    try {
      await this.s3.send(new HeadBucketCommand({ Bucket: this.o.bucket }));
      return true;
    } catch {
      return false;
    }
  }

  close(): void {
    this.s3.destroy();
  }
}
