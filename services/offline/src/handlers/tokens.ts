// Injection tokens and the small shapes every handler shares.
import type { EventEnvelope, StreamSpec } from '@parley/contracts';
import { ReplyException } from '@parley/nats';
import type { Logger } from 'pino';
import { userKey } from '../domain/user-key';

/** The validated {@link OfflineConfig}. */
export const OFFLINE_CONFIG = Symbol('OFFLINE_CONFIG');
/** The process logger provided by RuntimeModule. */
export const PINO = 'PINO';
export type { Logger };

/** Answers one request/reply subject. Throw ReplyException for an XMPP error condition. */
export interface RequestHandler<Q = unknown, R = unknown> {
  readonly subject: string;
  handle(query: Q): Promise<R>;
}

/** Handles one durable JetStream consumer. Resolve to ack, throw to retry, TerminalError to drop. */
export interface EventHandler<T = unknown> {
  readonly stream: StreamSpec;
  readonly durable: string;
  readonly filterSubjects: string[];
  /** Redeliveries before JetStream gives up; -1 = never (for what must not be lost). */
  readonly maxDeliver?: number;
  handle(event: EventEnvelope<T>): Promise<void>;
}

/** Most ids accepted in one request. */
export const MAX_IDS = 1000;

/** The user key of a request, or `bad-request`. */
export function requireUser(q: unknown): string {
  const user = (q as { user?: unknown } | null)?.user;
  if (typeof user !== 'string' || !user.includes('@') || user.length > 3071) throw ReplyException.of('bad-request', 'user must be a bare JID');
  return userKey(user);
}

/** The `ids` of a request (non-empty strings, at most `max`), or `bad-request`. */
export function requireIds(q: unknown, max = MAX_IDS): string[] {
  const ids = (q as { ids?: unknown } | null)?.ids;
  if (!Array.isArray(ids) || ids.length === 0 || ids.length > max || !ids.every((i) => typeof i === 'string' && i.length > 0 && i.length <= 200))
    throw ReplyException.of('bad-request', `ids must be 1..${max} message ids`);
  return ids as string[];
}

/** An optional positive integer bounded by `max`, defaulting to `dflt`, or `bad-request`. */
export function optionalLimit(v: unknown, dflt: number, max: number): number {
  if (v === undefined || v === null) return dflt;
  if (typeof v !== 'number' || !Number.isInteger(v) || v < 1) throw ReplyException.of('bad-request', 'limit must be a positive integer');
  return Math.min(v, max);
}
