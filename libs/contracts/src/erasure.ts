// Erasure you can prove: when an account is deleted (`gateway.evt.account-deleted`),
// every owner of user data erases the user and then confirms on its own subject of
// ERASURE_CONFIRMATIONS; the janitor records which owners confirmed each deletion
// (`npm run ctl -- erasures`). A confirmation names the deletion by its event id and
// carries counts only — never the JID, so the record of erasures holds no personal data.
import { derivedEventId, envelope, type EventEnvelope } from './envelope';
import type { StreamSpec } from './streams';

/** Confirmations of erasure, one subject per owner: `erasure.evt.<owner>`. */
export const ERASURE_CONFIRMATIONS: StreamSpec = {
  name: 'ERASURE_CONFIRMATIONS',
  subjects: ['erasure.evt.>'],
  retention: 'limits',
  maxAgeMs: 24 * 3600 * 1000,
  description: 'account-erased confirmations (deletion event id, owner, counts; no JIDs)',
};

export const ErasureEvents = {
  /** {@link AccountErasedV1} from `owner`. */
  accountErased: (owner: string): string => `erasure.evt.${owner}`,
} as const;

/** `erasure.evt.<owner>` v1: `owner` erased the user of deletion `deletionId`. */
export interface AccountErasedV1 {
  /** The erasing service (`roster`, `offline`, `archive`, …). */
  owner: string;
  /** The id of the `gateway.evt.account-deleted` event it acted on. */
  deletionId: string;
  /** What it deleted, by kind (counts only). */
  erased: Record<string, number>;
}

/** The owners that hold user data and confirm each erasure (the janitor waits for these). */
export const ERASURE_OWNERS = ['roster', 'offline', 'archive', 'upload', 'profile'] as const;

/**
 * The event id of `owner`'s confirmation of deletion `deletionId`: the same for every
 * redelivery, so JetStream keeps one confirmation however often the owner retries.
 */
export function erasureConfirmationId(deletionId: string, owner: string): string {
  return derivedEventId(`erasure/${owner}/${deletionId}`);
}

/** Validates an {@link AccountErasedV1} read from the bus. */
export function isAccountErasedV1(v: unknown): v is AccountErasedV1 {
  if (typeof v !== 'object' || v === null) return false;
  const o = v as Record<string, unknown>;
  return (
    typeof o.owner === 'string' &&
    /^[a-z][a-z0-9-]{0,31}$/.test(o.owner) &&
    typeof o.deletionId === 'string' &&
    o.deletionId.length > 0 &&
    o.deletionId.length <= 200 &&
    typeof o.erased === 'object' &&
    o.erased !== null &&
    Object.values(o.erased).every((n) => typeof n === 'number' && Number.isInteger(n) && n >= 0)
  );
}

/** `owner`'s confirmation that it erased the user of the deletion event `deletion`. */
export function accountErased(owner: string, deletion: Pick<EventEnvelope, 'id' | 'correlationId'>, erased: Record<string, number>): EventEnvelope<AccountErasedV1> {
  return envelope<AccountErasedV1>(ErasureEvents.accountErased(owner), { owner, deletionId: deletion.id, erased }, { id: erasureConfirmationId(deletion.id, owner), causationId: deletion.id, correlationId: deletion.correlationId });
}
