// What the offline module remembers about one session (its slot in `session.state`).
import type { OfflineFetchResult } from '@parley/contracts';
import type { StanzaError } from '@parley/stanza';
import { defineSlot, serviceError, Session } from '../../host';

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
  /** A delivery is queued on `chain` and has not started reading yet: another request joins it. */
  queued?: boolean;
  /** Ids written to this session whose deletion (`offline.cmd.ack`) is pending: never written twice. */
  pending: Set<string>;
  /** The one follow-up look for messages that were still in flight when the backlog was read. */
  recheck?: NodeJS.Timeout;
  /** The backlog's first page, asked for when initial presence arrived (while the presence is handled); taken by the delivery that follows. */
  prefetched?: { at: number; page: Promise<OfflineFetchResult | undefined> };
}

/** This module's slot in `session.state`. */
export const OFFLINE_STATE = defineSlot<OfflineSessionState>(MODULE_NAME);

/** The session's offline state, created on first use. */
export function offlineState(session: Session): OfflineSessionState {
  return session.state.ensure(OFFLINE_STATE, () => ({ flexible: false, chain: Promise.resolve(), pending: new Set() }));
}

/** Maps a failed offline-service request to the stanza error the client sees. */
export function stanzaErrorOf(e: unknown): StanzaError {
  return serviceError(e, 'offline message storage');
}
