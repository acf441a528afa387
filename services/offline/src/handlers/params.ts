// The configuration token and the request parameters every handler validates.
import { userKey } from '../domain/user-key';
import { ReplyException } from '@parley/nats';

/** The validated {@link OfflineConfig}. */
export const OFFLINE_CONFIG = Symbol('OFFLINE_CONFIG');

/** Most ids accepted in one request. */
export const MAX_IDS = 1000;

/** The user key of a request, or `bad-request`. */
export function requireUser(q: unknown): string {
  const user = (q as { user?: unknown } | null)?.user;
  if (typeof user !== 'string' || user.length > 3071) throw ReplyException.of('bad-request', 'user must be a bare JID');
  const key = userKey(user);
  if (!key) throw ReplyException.of('bad-request', 'user must be a bare JID');
  return key;
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
