// Upload benchmark (XEP-0363 service, issue 12): the built upload service (dist/) on a
// scratch database and NATS namespace, once per storage backend (a directory; an S3
// store — s3rver on loopback, a real S3-protocol server, but a slow one written in
// JavaScript). Slots are asked over the bus as the gateway asks them, files go over real
// HTTP. Measures: one large PUT and GET (MB/s) with the service's resident memory
// sampled during the transfer (it must not grow with the file), then N uploads at once
// (slot + PUT; wall time, uploads/s, per-upload latency) and N downloads at once.
// Measured, never asserted.
import { UploadSlotReplyV1, UploadSubjects } from '@parley/contracts';
import { Bus } from '@parley/nats';
import { createTestDatabase, testInfra, uniqueNamespace } from '@parley/testing-stack';
import { spawnService } from '@parley/testing-xmpp';
import { mkdtempSync, rmSync } from 'node:fs';
import { request } from 'node:http';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Readable } from 'node:stream';
import S3rver from 's3rver';
import { readRssKiB } from './proc';
import { Samples, Summary } from './stats';

export interface UploadBenchOptions {
  /** Bytes of the large file. */
  largeBytes: number;
  /** Uploads (and downloads) at once. */
  concurrent: number;
  /** Bytes of each concurrent upload. */
  smallBytes: number;
  backends: Array<'fs' | 's3'>;
  log(line: string): void;
}

export interface UploadBackendResult {
  backend: 'fs' | 's3';
  large: { bytes: number; putMBps: number; getMBps: number; rssBeforeKiB: number; rssPeakPutKiB: number; rssPeakGetKiB: number };
  concurrent: {
    uploads: number;
    bytesEach: number;
    failed: number;
    wallMs: number;
    uploadsPerSecond: number;
    MBps: number;
    latencyMs: Summary;
    /** The slot request alone (bus round trip, quota check under the reservation lock). */
    slotMs: Summary;
    downloadWallMs: number;
    downloadMBps: number;
    downloadFailed: number;
  };
}

const MB = 1e6;

/** A body of `total` bytes produced in 64 KiB chunks (never held whole). */
function generated(total: number): Readable {
  let sent = 0;
  const chunk = Buffer.alloc(64 * 1024, 0x5a);
  return new Readable({
    read() {
      if (sent >= total) return this.push(null);
      const n = Math.min(chunk.length, total - sent);
      sent += n;
      this.push(n === chunk.length ? chunk : chunk.subarray(0, n));
    },
  });
}

function httpPut(url: string, size: number, contentType: string): Promise<number> {
  return new Promise((resolve, reject) => {
    const req = request(url, { method: 'PUT', headers: { 'Content-Length': String(size), 'Content-Type': contentType } }, (res) => {
      res.resume();
      res.on('end', () => resolve(res.statusCode ?? 0));
    });
    req.on('error', reject);
    generated(size).pipe(req);
  });
}

function httpGet(url: string): Promise<{ status: number; bytes: number }> {
  return new Promise((resolve, reject) => {
    request(url, (res) => {
      let bytes = 0;
      res.on('data', (c: Buffer) => (bytes += c.length));
      res.on('end', () => resolve({ status: res.statusCode ?? 0, bytes }));
      res.on('error', reject);
    })
      .on('error', reject)
      .end();
  });
}

/** Samples the RSS of `pid` every 20 ms while `work` runs; returns the peak. */
async function peakRss<T>(pid: number, work: () => Promise<T>): Promise<{ value: T; peakKiB: number }> {
  let peak = readRssKiB(pid) ?? 0;
  const t = setInterval(() => (peak = Math.max(peak, readRssKiB(pid) ?? 0)), 20);
  try {
    const value = await work();
    return { value, peakKiB: Math.max(peak, readRssKiB(pid) ?? 0) };
  } finally {
    clearInterval(t);
  }
}

async function benchBackend(backend: 'fs' | 's3', o: UploadBenchOptions): Promise<UploadBackendResult> {
  const infra = await testInfra();
  const namespace = uniqueNamespace('benchup');
  const db = await createTestDatabase(`bench_upload_${backend}`);
  const dir = mkdtempSync(join(tmpdir(), `parley-bench-upload-${backend}-`));
  let s3: S3rver | undefined;
  const env: Record<string, string> = {
    NATS_URL: infra.natsUrl,
    NATS_NAMESPACE: namespace,
    UPLOAD_DATABASE_URL: db.url,
    UPLOAD_HTTP_PORT: '0',
    UPLOAD_SECRET: 'bench-upload-secret-0123456789abcdef01234567',
    UPLOAD_MAX_FILE_SIZE: String(Math.max(o.largeBytes, o.smallBytes)),
    UPLOAD_USER_QUOTA: '1000GiB',
    UPLOAD_DISK_QUOTA: '1000GiB',
    UPLOAD_DIR: join(dir, 'files'),
    LOG_LEVEL: 'warn',
  };
  if (backend === 's3') {
    s3 = new S3rver({ address: '127.0.0.1', port: 0, silent: true, directory: join(dir, 's3'), configureBuckets: [{ name: 'bench' }] });
    const addr = await s3.run();
    Object.assign(env, {
      UPLOAD_STORAGE: 's3',
      UPLOAD_S3_ENDPOINT: `http://127.0.0.1:${addr.port}`,
      UPLOAD_S3_BUCKET: 'bench',
      UPLOAD_S3_ACCESS_KEY_ID: 'S3RVER',
      UPLOAD_S3_SECRET_ACCESS_KEY: 'S3RVER',
    });
  }
  const service = await spawnService('upload', { ...env, LOG_LEVEL: 'info' }, (rec) => rec.msg === 'upload HTTP listening');
  const bus = await Bus.connect({ url: infra.natsUrl, name: 'bench-upload', namespace });
  const pid = service.proc.pid!;
  let seq = 0;
  const slot = async (size: number) => {
    const r = await bus.request<UploadSlotReplyV1>(UploadSubjects.requestSlot, { user: 'bench@localhost', filename: `f${++seq}.bin`, size, contentType: 'application/octet-stream' }, { timeoutMs: 30_000 });
    if (!('slot' in r)) throw new Error(`slot refused: ${JSON.stringify(r.refused)}`);
    return r.slot;
  };
  try {
    // 1. One large file.
    o.log(`[bench] upload/${backend}: one ${(o.largeBytes / MB).toFixed(0)} MB PUT and GET`);
    const rssBeforeKiB = readRssKiB(pid) ?? 0;
    const big = await slot(o.largeBytes);
    let t0 = performance.now();
    const put = await peakRss(pid, () => httpPut(big.put, o.largeBytes, 'application/octet-stream'));
    const putMs = performance.now() - t0;
    if (put.value !== 201) throw new Error(`large PUT answered ${put.value}`);
    t0 = performance.now();
    const get = await peakRss(pid, () => httpGet(big.get));
    const getMs = performance.now() - t0;
    if (get.value.status !== 200 || get.value.bytes !== o.largeBytes) throw new Error(`large GET answered ${get.value.status} with ${get.value.bytes} bytes`);

    // 2. N uploads at once, then N downloads at once.
    o.log(`[bench] upload/${backend}: ${o.concurrent} uploads of ${(o.smallBytes / 1024).toFixed(0)} KiB at once, then ${o.concurrent} downloads`);
    const lat = new Samples(o.concurrent);
    const slotLat = new Samples(o.concurrent);
    let failed = 0;
    const gets: string[] = [];
    t0 = performance.now();
    await Promise.all(
      Array.from({ length: o.concurrent }, async () => {
        const s0 = performance.now();
        try {
          const s = await slot(o.smallBytes);
          slotLat.add(performance.now() - s0);
          const st = await httpPut(s.put, o.smallBytes, 'application/octet-stream');
          if (st !== 201) throw new Error(`PUT ${st}`);
          gets.push(s.get);
          lat.add(performance.now() - s0);
        } catch {
          failed += 1;
        }
      }),
    );
    const wallMs = performance.now() - t0;
    let downloadFailed = 0;
    t0 = performance.now();
    await Promise.all(
      gets.map(async (g) => {
        const r = await httpGet(g).catch(() => ({ status: 0, bytes: 0 }));
        if (r.status !== 200 || r.bytes !== o.smallBytes) downloadFailed += 1;
      }),
    );
    const downloadWallMs = performance.now() - t0;
    const ok = o.concurrent - failed;
    return {
      backend,
      large: {
        bytes: o.largeBytes,
        putMBps: o.largeBytes / MB / (putMs / 1000),
        getMBps: o.largeBytes / MB / (getMs / 1000),
        rssBeforeKiB,
        rssPeakPutKiB: put.peakKiB,
        rssPeakGetKiB: get.peakKiB,
      },
      concurrent: {
        uploads: o.concurrent,
        bytesEach: o.smallBytes,
        failed,
        wallMs,
        uploadsPerSecond: ok / (wallMs / 1000),
        MBps: (ok * o.smallBytes) / MB / (wallMs / 1000),
        latencyMs: lat.summary(),
        slotMs: slotLat.summary(),
        downloadWallMs,
        downloadMBps: ((gets.length - downloadFailed) * o.smallBytes) / MB / (downloadWallMs / 1000),
        downloadFailed,
      },
    };
  } finally {
    await bus.close();
    await service.stop();
    await s3?.close();
    await db.drop();
    rmSync(dir, { recursive: true, force: true });
  }
}

/** Runs the upload benchmark on each backend in turn. */
export async function runUploadBench(o: UploadBenchOptions): Promise<UploadBackendResult[]> {
  const out: UploadBackendResult[] = [];
  for (const b of o.backends) out.push(await benchBackend(b, o));
  return out;
}

/** The report lines of an upload benchmark. */
export function formatUploadBench(rs: UploadBackendResult[]): string[] {
  const f = (n: number, d = 1) => n.toFixed(d);
  const lines: string[] = [];
  for (const r of rs) {
    const l = r.large;
    const c = r.concurrent;
    lines.push(
      `upload/${r.backend}: one ${f(l.bytes / MB, 0)} MB file: PUT ${f(l.putMBps)} MB/s, GET ${f(l.getMBps)} MB/s; service RSS ${f(l.rssBeforeKiB / 1024)} MiB before, peak ${f(l.rssPeakPutKiB / 1024)} MiB during PUT, ${f(l.rssPeakGetKiB / 1024)} MiB during GET`,
      `upload/${r.backend}: ${c.uploads} uploads of ${f(c.bytesEach / 1024, 0)} KiB at once (slot over NATS + PUT): ${c.failed} failed, ${f(c.wallMs, 0)} ms wall, ${f(c.uploadsPerSecond)} uploads/s, ${f(c.MBps)} MB/s; per upload p50 ${f(c.latencyMs.p50, 0)} ms, p99 ${f(c.latencyMs.p99, 0)} ms, max ${f(c.latencyMs.max, 0)} ms (of which the slot: p50 ${f(c.slotMs.p50, 0)} ms, p99 ${f(c.slotMs.p99, 0)} ms)`,
      `upload/${r.backend}: ${c.uploads - c.failed} downloads at once: ${c.downloadFailed} failed, ${f(c.downloadWallMs, 0)} ms wall, ${f(c.downloadMBps)} MB/s`,
    );
  }
  return lines;
}
