// Reading `offline.cmd.store` hand-offs defensively: the bus is a boundary.
import { EventEnvelope, MAX_STORE_HAND_OFFS, OfflineHandOffV2, OfflineStoreV1, OfflineStoreV2 } from '@parley/contracts';
import { userKey } from './user-key';

/** A validated hand-off, ready for the store decision. */
export interface HandOff {
  /** Envelope id: the message id and XEP-0013 node. */
  id: string;
  /** Recipient key ({@link userKey} of `to`). */
  user: string;
  from: string;
  /** As stated by the gateway (absent → `normal`); may be an unknown string, refused later. */
  type: string;
  stanzaId?: string;
  noStore: boolean;
  chatStateOnly: boolean;
  arrivedAt: Date;
  stanza: string;
}

/** Longest accepted hand-off id (the gateway uses UUIDs). */
export const MAX_ID_LENGTH = 200;
/** RFC 7622: each JID part is at most 1023 octets. */
const MAX_JID_LENGTH = 3071;

const str = (v: unknown): v is string => typeof v === 'string' && v.length > 0;

function validDate(v: unknown): Date | undefined {
  if (typeof v !== 'string') return undefined;
  const d = new Date(v);
  return Number.isNaN(d.getTime()) ? undefined : d;
}

type Read = { ok: true; handOff: HandOff } | { ok: false; problem: string };

/**
 * The hand-off in a version 1 envelope `e`, or the reason it can never be stored. A
 * missing or invalid `arrivedAt` falls back to the envelope's `occurredAt`, then to
 * `now`: a message is not dropped over a timestamp.
 */
export function readHandOff(e: EventEnvelope<Partial<OfflineStoreV1>>, now: Date): Read {
  return readOne(e?.id, (e?.data ?? {}) as Partial<OfflineStoreV1>, e?.occurredAt, now);
}

/**
 * Every hand-off of an `offline.cmd.store` envelope, in order: one for version 1, the
 * list of a version 2 ({@link OfflineStoreV2}); each read as {@link readHandOff} does,
 * so one unusable hand-off does not spoil the others. An envelope that is neither
 * gives one problem.
 */
export function readHandOffs(e: EventEnvelope<unknown>, now: Date): Read[] {
  if (e?.version !== 2) return [readHandOff(e as EventEnvelope<Partial<OfflineStoreV1>>, now)];
  const list = (e.data as Partial<OfflineStoreV2> | undefined)?.handOffs;
  if (!Array.isArray(list) || list.length === 0) return [{ ok: false, problem: 'handOffs is not a non-empty list' }];
  if (list.length > MAX_STORE_HAND_OFFS) return [{ ok: false, problem: `more than ${MAX_STORE_HAND_OFFS} hand-offs` }];
  return list.map((d: unknown) => {
    if (typeof d !== 'object' || d === null) return { ok: false, problem: 'hand-off is not an object' };
    const h = d as Partial<OfflineHandOffV2>;
    return readOne(h.id, h, e.occurredAt, now);
  });
}

function readOne(id: unknown, d: Partial<OfflineStoreV1>, occurredAt: unknown, now: Date): Read {
  if (!str(id) || id.length > MAX_ID_LENGTH) return { ok: false, problem: 'hand-off id missing or too long' };
  if (!str(d.to) || d.to.length > MAX_JID_LENGTH) return { ok: false, problem: 'to is not a bare JID' };
  const user = userKey(d.to);
  if (!user) return { ok: false, problem: 'to is not an account JID' };
  if (!str(d.from) || d.from.length > MAX_JID_LENGTH) return { ok: false, problem: 'from missing' };
  if (!str(d.stanza)) return { ok: false, problem: 'stanza missing' };
  if (d.type !== undefined && typeof d.type !== 'string') return { ok: false, problem: 'type is not a string' };
  // XML cannot contain U+0000 and Postgres text cannot store it: such a hand-off could never commit.
  if ([d.to, d.from, d.stanza, d.type, d.stanzaId, id].some((v) => typeof v === 'string' && v.includes('\u0000')))
    return { ok: false, problem: 'NUL character' };
  const stanzaId = typeof d.stanzaId === 'string' && d.stanzaId.length > 0 ? d.stanzaId.slice(0, 1024) : undefined;
  return {
    ok: true,
    handOff: {
      id,
      user,
      from: d.from,
      type: d.type || 'normal',
      stanzaId,
      noStore: d.noStore === true,
      chatStateOnly: d.chatStateOnly === true,
      arrivedAt: validDate(d.arrivedAt) ?? validDate(occurredAt) ?? now,
      stanza: d.stanza,
    },
  };
}
