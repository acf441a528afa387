// Domain failures → XMPP conditions, mapped once here.
import { ReplyException } from '@parley/nats';
import { InvalidRosterItem } from '../domain/validation';

/** The roster is at ROSTER_MAX_ITEMS. */
export function rosterFull(max: number): ReplyException {
  return ReplyException.of('not-allowed', `the roster is full: it may hold at most ${max} items`, 'cancel');
}

/** Maps a validation failure to its condition; rethrows anything else. */
export function asReply(e: unknown): never {
  if (e instanceof InvalidRosterItem) throw ReplyException.of(e.condition, e.message, 'modify');
  throw e;
}
