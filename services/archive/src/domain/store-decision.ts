// Whether a store command becomes an archived message: the archive's own re-check of
// what the gateway filtered (XEP-0313 §business-storeret-user-archives) plus the
// owner's preferences (XEP-0441), which are authoritative here.
import type { ArchivePrefsV1, ArchiveStoreV1 } from '@parley/contracts';
import { canonicalJid, canonicalBare, mamPrefsAllow, splitJid } from '@parley/xep';
import { isBareJidLike, isJidLike } from './prefs';

/** A message ready to insert. */
export interface ArchiveRecord {
  owner: string;
  stanzaId: string;
  ts: Date;
  withBare: string;
  withFull: string;
  direction: 'in' | 'out';
  stanza: string;
}

/** Why a store command was dropped (for counters and logs; never the content). */
export type DropReason = 'malformed' | 'not-archivable' | 'too-large' | 'expired' | 'prefs';

/** The outcome of {@link decideStore}. */
export type StoreDecision = { store: true; record: ArchiveRecord } | { store: false; reason: DropReason };

/** Limits the decision needs. */
export interface StorePolicy {
  now: Date;
  retentionMs: number;
  maxStanzaBytes: number;
}

const STANZA_ID = /^[\x21-\x7e]{1,128}$/;

/** Checks the shape of a command; returns the problem or undefined. */
export function malformed(c: Partial<ArchiveStoreV1> | undefined): string | undefined {
  if (!c || typeof c !== 'object') return 'not an object';
  if (!isBareJidLike(c.owner)) return 'owner is not a bare JID';
  if (!isBareJidLike(c.with)) return 'with is not a bare JID';
  if (c.direction !== 'in' && c.direction !== 'out') return 'direction is not in/out';
  if (typeof c.stanzaId !== 'string' || !STANZA_ID.test(c.stanzaId)) return 'stanzaId is not 1-128 printable characters';
  if (typeof c.timestamp !== 'string' || Number.isNaN(Date.parse(c.timestamp))) return 'timestamp is not ISO-8601';
  if (typeof c.stanza !== 'string' || !c.stanza.startsWith('<')) return 'stanza is not XML';
  if (typeof c.type !== 'string') return 'type missing';
  if (typeof c.hasBody !== 'boolean' || typeof c.inRoster !== 'boolean') return 'hasBody/inRoster missing';
  if (c.fromFullJid !== undefined && !isJidLike(c.fromFullJid)) return 'fromFullJid is not a JID';
  if (c.toJid !== undefined && !isJidLike(c.toJid)) return 'toJid is not a JID';
  return undefined;
}

/**
 * The peer's address to match preferences and full-JID `with` filters against
 * (XEP-0441 §match-out/§match-in): the `to` of an outgoing, the `from` of an incoming
 * message; `with` when that address is missing or belongs to someone else.
 */
export function targetOf(c: ArchiveStoreV1): string {
  const withBare = canonicalBare(c.with);
  const candidate = c.direction === 'out' ? c.toJid : c.fromFullJid;
  if (candidate && canonicalBare(candidate) === withBare) return canonicalJid(candidate);
  return withBare;
}

/** Decides whether `c` is archived under the owner's `prefs`. */
export function decideStore(c: ArchiveStoreV1, prefs: ArchivePrefsV1, policy: StorePolicy): StoreDecision {
  if (malformed(c)) return { store: false, reason: 'malformed' };
  if ((c.type !== 'chat' && c.type !== 'normal') || !c.hasBody) return { store: false, reason: 'not-archivable' };
  // The owner's choice first: `too-large` and `expired` are refusals of what the owner asked to keep.
  const target = targetOf(c);
  if (!mamPrefsAllow(prefs, { jid: target, inRoster: c.inRoster })) return { store: false, reason: 'prefs' };
  if (Buffer.byteLength(c.stanza, 'utf8') > policy.maxStanzaBytes) return { store: false, reason: 'too-large' };
  const ts = new Date(c.timestamp);
  if (ts.getTime() < policy.now.getTime() - policy.retentionMs) return { store: false, reason: 'expired' };
  return {
    store: true,
    record: {
      owner: canonicalBare(c.owner),
      stanzaId: c.stanzaId,
      ts,
      withBare: splitJid(target).bare,
      withFull: target,
      direction: c.direction,
      stanza: c.stanza,
    },
  };
}
