// What the offline module remembers about one session (in `session.state`).
import type { StanzaError } from '@parley/stanza';
import type { Session } from '../../session/session';
import { serviceError } from '../service-errors';

/** Key of this module's entry in `session.state`. */
export const MODULE_NAME = 'xep-0160-offline';

/** Per-session offline state. */
export interface OfflineSessionState {
  /**
   * The client used XEP-0013 (disco on the offline node, view, fetch, remove, purge):
   * its offline messages are not pushed at initial presence (XEP-0013 §2.2, §2.6).
   */
  flexible: boolean;
  /** Serialises backlog deliveries of this session. */
  chain: Promise<void>;
  /** Ids written to this session whose deletion (`offline.cmd.ack`) is pending: never written twice. */
  pending: Set<string>;
  /** The one follow-up look for messages that were still in flight when the backlog was read. */
  recheck?: NodeJS.Timeout;
}

/** The session's offline state, created on first use. */
export function offlineState(session: Session): OfflineSessionState {
  let st = session.state.get(MODULE_NAME) as OfflineSessionState | undefined;
  if (!st) {
    st = { flexible: false, chain: Promise.resolve(), pending: new Set() };
    session.state.set(MODULE_NAME, st);
  }
  return st;
}

/** Maps a failed offline-service request to the stanza error the client sees. */
export function stanzaErrorOf(e: unknown): StanzaError {
  return serviceError(e, 'offline message storage');
}
