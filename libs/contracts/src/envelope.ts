// The one envelope every JetStream event travels in (see docs/bus.md).
import { createHash, randomUUID } from 'node:crypto';

/**
 * A versioned, past-tense event. Publishers set `Nats-Msg-Id = id` so JetStream
 * drops duplicates; consumers are idempotent on `id` and ignore unknown fields.
 */
export interface EventEnvelope<T = unknown> {
  /** Unique id (UUID v4); the JetStream de-duplication key. */
  id: string;
  /** The subject-level event name, e.g. `gateway.evt.account-deleted`. */
  type: string;
  /** Payload schema version; bump on incompatible change. */
  version: number;
  /** ISO-8601 time the fact happened. */
  occurredAt: string;
  /** Id of the request/flow that led here, for tracing. */
  correlationId?: string;
  /** Id of the event or command that directly caused this one. */
  causationId?: string;
  data: T;
}

/** Wraps `data` in a fresh envelope. */
export function envelope<T>(
  type: string,
  data: T,
  opts: { version?: number; correlationId?: string; causationId?: string; id?: string; occurredAt?: Date } = {},
): EventEnvelope<T> {
  return {
    id: opts.id ?? randomUUID(),
    type,
    version: opts.version ?? 1,
    occurredAt: (opts.occurredAt ?? new Date()).toISOString(),
    correlationId: opts.correlationId,
    causationId: opts.causationId,
    data,
  };
}

/**
 * The reply to every request/reply query or command: either a value or an error
 * that the gateway maps to an XMPP stanza error (`condition` is an RFC 6120
 * defined-condition such as `item-not-found`).
 */
export type Reply<T> = { ok: true; data: T } | { ok: false; error: ReplyError };

/** A failure a responder reports on purpose. */
export interface ReplyError {
  /** RFC 6120 §8.3.3 defined condition, e.g. `not-acceptable`, `resource-constraint`. */
  condition: string;
  /** Error type (RFC 6120 §8.3.2); defaults from the condition when absent. */
  type?: 'auth' | 'cancel' | 'continue' | 'modify' | 'wait';
  /** Human-readable text, safe to show the user. Never message content. */
  text?: string;
}

/**
 * A UUID (version 5 layout) derived from `name`: re-publishing the same fact under the
 * same name yields the same event id, so JetStream (and idempotent consumers) drop the repeat.
 */
export function derivedEventId(name: string): string {
  const h = createHash('sha256').update(name).digest();
  h[6] = (h[6] & 0x0f) | 0x50;
  h[8] = (h[8] & 0x3f) | 0x80;
  const x = h.subarray(0, 16).toString('hex');
  return `${x.slice(0, 8)}-${x.slice(8, 12)}-${x.slice(12, 16)}-${x.slice(16, 20)}-${x.slice(20)}`;
}
