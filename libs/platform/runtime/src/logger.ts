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

/** The process logger of a service. */
export function createLogger(service: string, env: Record<string, string | undefined> = process.env): Logger {
  return pino({
    name: service,
    level: env.LOG_LEVEL || 'info',
    redact: { paths: REDACTED_KEYS, censor: '[redacted]' },
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
