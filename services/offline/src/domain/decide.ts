// The store decision for one hand-off: pure, so the rules read (and test) as sentences.
import type { OfflineFailureReason } from '@parley/contracts';
import type { NotStorable, Storability } from './storable';

/** Everything the decision depends on, read inside the store's transaction. */
export interface StoreContext {
  storability: Storability;
  /** When the message arrived. */
  arrivedAt: Date;
  /** When the recipient's account was last deleted, if within the de-duplication window. */
  accountErasedAt?: Date;
  /** Messages already waiting for the recipient. */
  pending: number;
  /** OFFLINE_QUOTA. */
  quota: number;
}

/** What to do with a (not yet handled) hand-off. */
export type StoreDecision =
  | { kind: 'store' }
  | { kind: 'refuse'; reason: OfflineFailureReason; detail?: NotStorable };

/**
 * Stores a storable message unless it arrived before its recipient's account was
 * deleted, or the recipient already has `quota` messages waiting.
 */
export function decideStore(c: StoreContext): StoreDecision {
  if (!c.storability.storable) return { kind: 'refuse', reason: 'not-storable', detail: c.storability.detail };
  if (c.accountErasedAt && c.arrivedAt.getTime() <= c.accountErasedAt.getTime()) return { kind: 'refuse', reason: 'account-deleted' };
  if (c.pending >= c.quota) return { kind: 'refuse', reason: 'quota' };
  return { kind: 'store' };
}
