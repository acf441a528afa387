// The public HTTP listener (XEP-0363 §6): PUT stores a file for its slot, GET/HEAD serve
// it, OPTIONS answers CORS preflights. Plain node:http (or https with a certificate):
// bodies are streamed to and from the file store, never buffered.
import { Inject, Injectable, OnModuleDestroy } from '@nestjs/common';
import { LOGGER, Logger } from '@parley/runtime';
import { readFileSync } from 'node:fs';
import { createServer as createHttp, IncomingMessage, Server, ServerResponse } from 'node:http';
import { createServer as createHttps } from 'node:https';
import type { AddressInfo } from 'node:net';
import { pipeline } from 'node:stream/promises';
import type { UploadConfig } from '../config/config';
import { contentDisposition, normalizeContentType, parseRange, servedInline, verifyPut } from '../domain/rules';
import { UploadMetrics } from '../domain/metrics';
import { retentionOf } from '../domain/slots';
import { FILE_STORE, FileStore, LengthMismatchError } from '../storage/file-store';
import { UploadStore } from '../store/upload-store';
import { UPLOAD_CONFIG, UPLOAD_SECRET } from '../tokens';
import { PublicUrl } from './public-url';

/** `/<id>/<name>` at the end of the path (a prefix of UPLOAD_PUBLIC_URL may or may not be stripped by a proxy). */
const FILE_PATH = /\/([A-Za-z0-9_-]{43})\/([^/]+)$/;

/** Served with every answer: nothing uploaded may run as a page of this origin. */
const SAFETY_HEADERS: Record<string, string> = {
  'X-Content-Type-Options': 'nosniff',
  'Content-Security-Policy': "default-src 'none'; img-src 'self'; media-src 'self'; style-src 'unsafe-inline'; sandbox; frame-ancestors 'none'",
  'Referrer-Policy': 'no-referrer',
  'Cross-Origin-Resource-Policy': 'cross-origin',
};

/** A connection silent for this long (mid-upload included) is closed; the slot is released for a retry. */
const IDLE_TIMEOUT_MS = 60_000;

const METHODS = new Set(['GET', 'HEAD', 'PUT', 'OPTIONS']);

class HttpProblem extends Error {
  constructor(
    readonly status: number,
    message: string,
    readonly headers: Record<string, string> = {},
  ) {
    super(message);
  }
}

@Injectable()
export class UploadHttp implements OnModuleDestroy {
  private server?: Server;

  constructor(
    private readonly store: UploadStore,
    private readonly url: PublicUrl,
    @Inject(FILE_STORE) private readonly files: FileStore,
    @Inject(UPLOAD_CONFIG) private readonly config: UploadConfig,
    @Inject(UPLOAD_SECRET) private readonly secret: string,
    @Inject(LOGGER) private readonly log: Logger,
    private readonly metrics: UploadMetrics,
  ) {}

  /** Opens the listener; returns its port. */
  async listen(): Promise<number> {
    const tls = this.config.UPLOAD_TLS_CERT_FILE && this.config.UPLOAD_TLS_KEY_FILE;
    const handler = (req: IncomingMessage, res: ServerResponse) => void this.handle(req, res);
    const server = tls
      ? createHttps({ cert: readFileSync(this.config.UPLOAD_TLS_CERT_FILE!), key: readFileSync(this.config.UPLOAD_TLS_KEY_FILE!) }, handler)
      : createHttp(handler);
    server.requestTimeout = 0; // large uploads take long: no limit on the whole request...
    server.headersTimeout = 30_000;
    server.keepAliveTimeout = 5_000;
    server.setTimeout(IDLE_TIMEOUT_MS, (socket) => socket.destroy()); // ...but a connection that goes silent is dropped
    this.server = server;
    await new Promise<void>((resolve, reject) => {
      server.once('error', reject);
      server.listen(this.config.UPLOAD_HTTP_PORT, this.config.UPLOAD_HTTP_HOST, () => resolve());
    });
    const port = (server.address() as AddressInfo).port;
    this.url.listening(tls ? 'https' : 'http', this.config.UPLOAD_HTTP_HOST, port);
    return port;
  }

  async onModuleDestroy(): Promise<void> {
    const s = this.server;
    if (!s) return;
    this.server = undefined;
    await new Promise<void>((resolve) => {
      s.close(() => resolve());
      s.closeIdleConnections();
      setTimeout(() => s.closeAllConnections(), 5_000).unref();
    });
  }

  private cors(req: IncomingMessage): Record<string, string> {
    const origin = req.headers.origin;
    const allowed = this.config.UPLOAD_ALLOWED_ORIGINS;
    if (!origin) return {};
    if (allowed.includes('*')) return { 'Access-Control-Allow-Origin': '*', 'Access-Control-Expose-Headers': 'Content-Length, Content-Range, Content-Disposition, Accept-Ranges' };
    if (allowed.includes(origin))
      return { 'Access-Control-Allow-Origin': origin, Vary: 'Origin', 'Access-Control-Expose-Headers': 'Content-Length, Content-Range, Content-Disposition, Accept-Ranges' };
    return { Vary: 'Origin' };
  }

  private async handle(req: IncomingMessage, res: ServerResponse): Promise<void> {
    res.once('finish', () => this.metrics.http.inc({ method: METHODS.has(req.method ?? '') ? req.method! : 'other', status: String(res.statusCode) }));
    const cors = this.cors(req);
    try {
      const u = new URL(req.url ?? '/', 'http://upload.invalid');
      const m = FILE_PATH.exec(u.pathname);
      switch (req.method) {
        case 'OPTIONS':
          return this.preflight(req, res, cors);
        case 'PUT':
          if (!m) throw new HttpProblem(404, 'no such slot');
          return await this.put(req, res, m[1], decodeName(m[2]), u.searchParams, cors);
        case 'GET':
        case 'HEAD':
          if (!m) throw new HttpProblem(404, 'not found');
          return await this.get(req, res, m[1], decodeName(m[2]), cors);
        default:
          throw new HttpProblem(405, 'method not allowed', { Allow: 'GET, HEAD, PUT, OPTIONS' });
      }
    } catch (e) {
      if (!(e instanceof HttpProblem)) this.log.error({ err: e, method: req.method }, 'upload HTTP request failed');
      const p = e instanceof HttpProblem ? e : new HttpProblem(500, 'internal error');
      if (res.headersSent) {
        res.destroy();
        return;
      }
      // Whatever the client still sends is not read: close the connection after the answer.
      if (req.method === 'PUT' && !req.complete) res.setHeader('Connection', 'close');
      res.writeHead(p.status, { ...SAFETY_HEADERS, ...cors, ...p.headers, 'Content-Type': 'text/plain; charset=utf-8', 'Cache-Control': 'no-store' });
      res.end(`${p.message}\n`);
      if (req.method === 'PUT' && !req.complete) req.resume();
    }
  }

  private preflight(req: IncomingMessage, res: ServerResponse, cors: Record<string, string>): void {
    const headers: Record<string, string> = { ...cors, 'Cache-Control': 'no-store' };
    if (cors['Access-Control-Allow-Origin']) {
      headers['Access-Control-Allow-Methods'] = 'GET, HEAD, PUT, OPTIONS';
      headers['Access-Control-Allow-Headers'] = 'Content-Type, Authorization, Range, Expires, Cookie';
      headers['Access-Control-Max-Age'] = '86400';
    }
    res.writeHead(204, headers);
    res.end();
  }

  private async put(req: IncomingMessage, res: ServerResponse, id: string, filename: string, q: URLSearchParams, cors: Record<string, string>): Promise<void> {
    const expires = Number(q.get('expires'));
    const sig = q.get('sig') ?? '';
    const lengthHeader = req.headers['content-length'];
    if (lengthHeader === undefined) throw new HttpProblem(411, 'Content-Length is required');
    if (!/^\d+$/.test(lengthHeader)) throw new HttpProblem(400, 'bad Content-Length');
    const length = Number(lengthHeader);
    const row = await this.store.find(id);
    // One answer for a wrong token and an unknown slot: nothing to learn by guessing.
    if (!row || !Number.isSafeInteger(expires) || row.filename !== filename || !verifyPut(this.secret, { id, filename, size: row.size, contentType: row.contentTypeGiven ? row.contentType : '', expires }, sig))
      throw new HttpProblem(403, 'this URL is not a valid upload slot');
    if (row.state !== 'reserved') throw new HttpProblem(409, 'this slot was already used; request a new one');
    if (Date.now() >= expires * 1000 || row.putExpiresAt.getTime() <= Date.now()) throw new HttpProblem(403, 'this upload slot has expired; request a new one');
    if (length !== row.size) throw new HttpProblem(length > row.size ? 413 : 400, `Content-Length must be ${row.size}, the size the slot was granted for`);
    const type = normalizeContentType(req.headers['content-type']);
    if (!type) throw new HttpProblem(415, 'Content-Type is not a media type');
    if (row.contentTypeGiven && type !== row.contentType) throw new HttpProblem(415, `Content-Type must be ${row.contentType}, the type the slot was granted for`);
    const claimed = await this.store.claim(id, type);
    if (!claimed) throw new HttpProblem(409, 'this slot was already used or has expired; request a new one');
    try {
      await this.files.write(id, req, row.size, claimed.contentType);
    } catch (e) {
      await this.store.release(id);
      if (e instanceof LengthMismatchError) throw new HttpProblem(400, 'the body is not as long as Content-Length says');
      if (req.destroyed || req.readableAborted) {
        this.log.info({ size: row.size }, 'upload aborted by the client');
        return;
      }
      throw e;
    }
    if (!(await this.store.stored(id, retentionOf(this.config, row.purpose)))) {
      // The slot was erased while the bytes came in (the account was deleted): keep nothing.
      await this.files.delete(id);
      throw new HttpProblem(410, 'this slot no longer exists');
    }
    this.metrics.bytes.inc({ direction: 'in' }, row.size);
    res.writeHead(201, { ...SAFETY_HEADERS, ...cors, 'Cache-Control': 'no-store', 'Content-Length': '0' });
    res.end();
  }

  private async get(req: IncomingMessage, res: ServerResponse, id: string, filename: string, cors: Record<string, string>): Promise<void> {
    const row = await this.store.find(id);
    if (!row || row.state !== 'stored' || row.filename !== filename || !row.expiresAt || row.expiresAt.getTime() <= Date.now()) throw new HttpProblem(404, 'not found');
    const range = parseRange(req.headers.range, row.size);
    const inline = servedInline(row.contentType);
    const headers: Record<string, string> = {
      ...SAFETY_HEADERS,
      ...cors,
      'Content-Type': row.contentType,
      'Content-Disposition': contentDisposition(inline ? 'inline' : 'attachment', row.filename),
      'Accept-Ranges': 'bytes',
      ETag: `"${id}"`,
      'Last-Modified': (row.storedAt ?? new Date()).toUTCString(),
      'Cache-Control': `private, max-age=${Math.max(0, Math.floor((row.expiresAt.getTime() - Date.now()) / 1000))}, immutable`,
    };
    if (range.kind === 'unsatisfiable') throw new HttpProblem(416, 'range not satisfiable', { 'Content-Range': `bytes */${row.size}` });
    const part = range.kind === 'partial' ? range : undefined;
    if (part) headers['Content-Range'] = `bytes ${part.start}-${part.end}/${row.size}`;
    headers['Content-Length'] = String(part ? part.end - part.start + 1 : row.size);
    if (req.method === 'HEAD') {
      res.writeHead(part ? 206 : 200, headers);
      res.end();
      return;
    }
    const body = await this.files.read(id, part);
    res.writeHead(part ? 206 : 200, headers);
    try {
      await pipeline(body, res);
      this.metrics.bytes.inc({ direction: 'out' }, Number(headers['Content-Length']));
    } catch (e) {
      if (!res.destroyed && !req.destroyed) this.log.warn({ err: e }, 'upload download broken off');
      res.destroy();
    }
  }
}

function decodeName(raw: string): string {
  try {
    return decodeURIComponent(raw);
  } catch {
    throw new HttpProblem(404, 'not found');
  }
}
