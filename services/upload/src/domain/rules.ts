// Pure rules of the upload service: what a slot request may ask for, how PUT URLs are
// signed, and which types a browser may render inline.
import { createHmac, randomBytes, timingSafeEqual } from 'node:crypto';

/** Longest file name accepted, in UTF-8 bytes (file systems and URLs stay sane). */
export const MAX_FILENAME_BYTES = 255;

/** Why a file name is refused, or undefined when it is acceptable. */
export function filenameProblem(name: string): string | undefined {
  if (typeof name !== 'string' || name.length === 0) return 'the file name is empty';
  if (Buffer.byteLength(name, 'utf8') > MAX_FILENAME_BYTES) return `the file name is longer than ${MAX_FILENAME_BYTES} bytes`;
  // eslint-disable-next-line no-control-regex
  if (/[\u0000-\u001f\u007f\u0080-\u009f]/.test(name)) return 'the file name holds control characters';
  if (/[/\\]/.test(name)) return 'the file name holds a path separator';
  if (name === '.' || name === '..') return 'the file name is not a name';
  if (/[\u202a-\u202e\u2066-\u2069]/.test(name)) return 'the file name holds bidirectional overrides';
  if (name.trim() !== name) return 'the file name starts or ends with blanks';
  return undefined;
}

const TOKEN = "[!#$%&'*+.^_`|~0-9A-Za-z-]+";
const MEDIA_TYPE = new RegExp(`^${TOKEN}/${TOKEN}$`);

/**
 * The content type to store (lower-cased, without parameters), or undefined when it is
 * not a media type (RFC 9110 §8.3.1). Absent → `application/octet-stream` (XEP-0363 §6).
 */
export function normalizeContentType(raw: string | undefined): string | undefined {
  if (raw === undefined || raw === '') return 'application/octet-stream';
  if (raw.length > 255) return undefined;
  const base = raw.split(';')[0].trim().toLowerCase();
  return MEDIA_TYPE.test(base) ? base : undefined;
}

/**
 * Types a browser may show inline. Everything else (HTML, SVG, XML, PDF, scripts, unknown
 * types) is served with `Content-Disposition: attachment`, so that an uploaded file can
 * never run as a page of the upload origin.
 */
const INLINE = new Set(['image/png', 'image/jpeg', 'image/gif', 'image/webp', 'image/avif', 'image/heic', 'image/heif', 'text/plain']);
export function servedInline(contentType: string): boolean {
  return INLINE.has(contentType) || /^(audio|video)\/[a-z0-9.+-]+$/.test(contentType);
}

/** A fresh, unguessable file id (256 random bits, base64url). */
export function newFileId(): string {
  return randomBytes(32).toString('base64url');
}

/** The fields a PUT URL's signature covers: everything the PUT must match. */
export interface PutClaim {
  id: string;
  filename: string;
  size: number;
  contentType: string;
  /** Unix seconds after which the PUT is refused. */
  expires: number;
}

/** HMAC-SHA256 of the claim, hex. */
export function signPut(secret: string, c: PutClaim): string {
  return createHmac('sha256', secret).update(`put\n${c.id}\n${c.filename}\n${c.size}\n${c.contentType}\n${c.expires}`).digest('hex');
}

/** Whether `sig` signs the claim (constant time). */
export function verifyPut(secret: string, c: PutClaim, sig: string): boolean {
  if (!/^[0-9a-f]{64}$/.test(sig)) return false;
  return timingSafeEqual(Buffer.from(signPut(secret, c), 'hex'), Buffer.from(sig, 'hex'));
}

/** `Content-Disposition` with the file name (RFC 6266, RFC 8187 for non-ASCII names). */
export function contentDisposition(kind: 'inline' | 'attachment', filename: string): string {
  const ascii = filename.replace(/[^\x20-\x7e]|["\\%]/g, '_');
  const encoded = encodeURIComponent(filename).replace(/['()*]/g, (ch) => `%${ch.charCodeAt(0).toString(16).toUpperCase()}`);
  return `${kind}; filename="${ascii}"; filename*=UTF-8''${encoded}`;
}

/** A parsed `Range` header against a file of `size` bytes (RFC 9110 §14). */
export type RangeResult = { kind: 'full' } | { kind: 'partial'; start: number; end: number } | { kind: 'unsatisfiable' };

/**
 * One `bytes=` range; several ranges, other units or a malformed header get the whole
 * file (a server MAY ignore Range, RFC 9110 §14.2).
 */
export function parseRange(header: string | undefined, size: number): RangeResult {
  if (!header) return { kind: 'full' };
  const m = /^bytes=(\d*)-(\d*)$/.exec(header.trim());
  if (!m || (m[1] === '' && m[2] === '')) return { kind: 'full' };
  if (m[1] === '') {
    const n = Number(m[2]);
    if (n === 0 || size === 0) return { kind: 'unsatisfiable' };
    return { kind: 'partial', start: Math.max(0, size - n), end: size - 1 };
  }
  const start = Number(m[1]);
  const end = m[2] === '' ? size - 1 : Math.min(Number(m[2]), size - 1);
  if (start >= size) return { kind: 'unsatisfiable' };
  if (end < start) return { kind: 'full' };
  return { kind: 'partial', start, end };
}
