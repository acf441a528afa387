// What the blocking module offers other modules (the roster module): the block
// lists it enforces, and a slot for the presence work an unblock needs.
import { NS, StanzaError } from '@parley/stanza';
import { x } from '@parley/xml';
import type { GatewayCore } from '../../gateway-core';
import type { BlockLists } from './block-lists';
import type { BlockSet } from '@parley/xep';

/** The blocking module's services, per gateway. */
export interface BlockingApi {
  readonly lists: BlockLists;
  /** A user's list: known here, or fetched once; undefined when the roster service cannot be reached. */
  listOf(user: string): Promise<BlockSet | undefined>;
  /** Runs a local user's login request; the `blocked` list of its answer is stored and announced to peer gateways. */
  trackLogin<T extends { blocked: string[] }>(user: string, request: () => Promise<T>): Promise<T>;
  /** Filled in by the roster module: the presence XEP-0191 §3.4 owes contacts after an unblock. */
  presence: {
    /** Sends the user's current presence, from each available resource, to each of `to`. */
    sendCurrent?(user: string, to: string[]): Promise<void>;
    /** Probes contacts for the user (the answers reach all of the user's available resources). */
    probe?(user: string, contacts: string[]): Promise<void>;
  };
}

/** The blocking services of a gateway (set when the blocking module is loaded). */
export const blockingApi = new WeakMap<GatewayCore, BlockingApi>();

/** XEP-0191 §3.3: the error for a stanza the user sent to a JID they block. */
export function blockedError(): StanzaError {
  return new StanzaError('not-acceptable', 'you have blocked this contact', 'cancel', x('blocked', { xmlns: NS.blockingErrors }));
}
