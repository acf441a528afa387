// The configuration token and the request parameters every handler validates.
import { PrepareJids, ReplyException } from '@parley/nats';

/** The validated {@link OfflineConfig}. */
export const OFFLINE_CONFIG = Symbol('OFFLINE_CONFIG');

/** Most ids accepted in one request. */
export const MAX_IDS = 1000;

/**
 * The payload pipe of every request about one user: `user` becomes the prepared bare
 * account JID (RFC 7622, `@parley/jid`), the key the user's messages are filed under;
 * anything else is refused with `jid-malformed`.
 */
export const USER = new PrepareJids({ user: 'account' });

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
