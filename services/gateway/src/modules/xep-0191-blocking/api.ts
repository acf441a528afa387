// What the blocking module offers other modules (the roster module): the block
// lists it enforces, and a hook for the presence XEP-0191 §3.4 owes contacts after
// an unblock (the roster module sends it).
import { NS, StanzaError } from '@parley/stanza';
import { x } from '@parley/xml';
import type { BlockSet } from '@parley/xep';
import { defineApi, defineHook } from '../../host';
import type { BlockLists } from './block-lists';

/** The blocking module's services, per gateway. */
export interface BlockingApi {
  readonly lists: BlockLists;
  /** A user's list: known here, or fetched once; undefined when the roster service cannot be reached. */
  listOf(user: string): Promise<BlockSet | undefined>;
  /** Runs a local user's login request; the `blocked` list of its answer is stored and announced to peer gateways. */
  trackLogin<T extends { blocked: string[] }>(user: string, request: () => Promise<T>): Promise<T>;
}

export const BLOCKING = defineApi<BlockingApi>('xep-0191-blocking');

/** A user unblocked contacts: the presence they are owed now (XEP-0191 §3.4). */
export interface UnblockedEvent {
  readonly user: string;
  /** Contacts that get the user's current presence from each available resource. */
  readonly sendPresenceTo: string[];
  /** Contacts to probe for the user (the answers reach all of the user's available resources). */
  readonly probe: string[];
}

export const BlockingHooks = {
  /** `serial`: after an unblock was applied and answered. */
  unblocked: defineHook<UnblockedEvent, 'serial'>('xep-0191-blocking/unblocked', 'serial'),
} as const;

/** XEP-0191 §3.3: the error for a stanza the user sent to a JID they block. */
export function blockedError(): StanzaError {
  return new StanzaError('not-acceptable', 'you have blocked this contact', 'cancel', x('blocked', { xmlns: NS.blockingErrors }));
}
