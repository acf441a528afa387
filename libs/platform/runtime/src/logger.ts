// Operational logs (pino, JSON to stdout). Passwords and message content are never
// logged; IP addresses only when LOG_IPS is on, and never elsewhere.
import { existsSync, readFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import pino, { Logger } from 'pino';

/** Keys whose values are always removed from log records. */
export const REDACTED_KEYS = ['password', '*.password', 'body', '*.body', 'authorization', '*.authorization', 'storedKey', 'serverKey', 'salt'];

/** Whether operational logs may show client IP addresses (LOG_IPS, default false). */
export function logIpsEnabled(env: Record<string, string | undefined> = process.env): boolean {
  return /^(1|true|yes|on)$/i.test(env.LOG_IPS ?? '');
}

/** An address as logs may show it: the address itself only when LOG_IPS is on. */
export function loggableAddress(address: string | undefined, env: Record<string, string | undefined> = process.env): string | undefined {
  if (!address) return undefined;
  return logIpsEnabled(env) ? address : 'hidden';
}

/** Error fields a log may show: what went wrong and where, never the data involved. */
const SAFE_ERROR_FIELDS = ['code', 'constraint', 'table', 'column', 'routine', 'condition', 'status'] as const;

/**
 * Serializes an error for the logs without its payload: database errors carry the
 * query's parameters (message bodies, SCRAM keys) and Postgres' `detail` quotes the
 * offending values; bus errors can carry the message. Only the type, the message,
 * the stack, a few naming fields and the cause chain are kept.
 */
export function safeError(err: unknown, depth = 0): unknown {
  if (!(err instanceof Error)) {
    if (err === null || typeof err !== 'object') return err;
    return { type: 'non-error', message: String((err as { message?: unknown }).message ?? '[object]') };
  }
  const out: Record<string, unknown> = { type: err.name, message: err.message, stack: err.stack };
  const fields = err as unknown as Record<string, unknown>;
  for (const k of SAFE_ERROR_FIELDS) {
    const v = fields[k];
    if (typeof v === 'string' || typeof v === 'number') out[k] = v;
  }
  if (err.cause !== undefined && depth < 3) out.cause = safeError(err.cause, depth + 1);
  return out;
}

/** pino options shared by every process logger: redaction and payload-free error serializers. */
export function loggerOptions(): Pick<pino.LoggerOptions, 'redact' | 'serializers'> {
  return {
    redact: { paths: REDACTED_KEYS, censor: '[redacted]' },
    serializers: { err: (e: unknown) => safeError(e), error: (e: unknown) => safeError(e) },
  };
}

/** The process logger of a service. */
export function createLogger(service: string, env: Record<string, string | undefined> = process.env): Logger {
  return pino({
    name: service,
    level: env.LOG_LEVEL || 'info',
    ...loggerOptions(),
    base: { service },
  });
}

/** Parley's version, from the nearest package.json above this file (dist/ carries a copy). */
export function appVersion(): string {
  let dir = __dirname;
  for (;;) {
    const p = join(dir, 'package.json');
    if (existsSync(p)) return (JSON.parse(readFileSync(p, 'utf8')) as { version?: string }).version ?? '0.0.0';
    const up = dirname(dir);
    if (up === dir) return '0.0.0';
    dir = up;
  }
}
