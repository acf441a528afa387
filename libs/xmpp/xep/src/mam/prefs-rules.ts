// XEP-0441: Message Archive Management Preferences — which peers a user's archive keeps.
// Pure rules (no XML): the archive applies them to every store command, and a gateway
// may apply them to avoid sending content the archive would drop anyway.
import { tryParseJid } from '@parley/jid';

/** XEP-0441 §config-default: the behaviour for JIDs in neither list. */
export type MamDefault = 'always' | 'never' | 'roster';

/** XEP-0441 `<prefs/>`: the default and the always/never JID lists (bare or full JIDs). */
export interface MamPrefs {
  default: MamDefault;
  always: string[];
  never: string[];
}

/** The preferences of a user who never set any: nothing is archived (opt-in). */
export const MAM_PREFS_OFF: Readonly<MamPrefs> = Object.freeze({ default: 'never' as const, always: [], never: [] });

/** The peer a message is matched against (XEP-0441 §match). */
export interface MamTarget {
  /** The `to` of an outgoing / `from` of an incoming message, bare or full. */
  jid: string;
  /** Whether the peer's bare JID is in the user's roster (for `default='roster'`). */
  inRoster: boolean;
}

/** Splits a JID string at the first '/' (RFC 7622 §3.1: the resource starts there). */
export function splitJid(jid: string): { bare: string; resource?: string } {
  const i = jid.indexOf('/');
  return i < 0 ? { bare: jid } : { bare: jid.slice(0, i), resource: jid.slice(i + 1) };
}

/**
 * The JID in its one canonical form: prepared as RFC 7622 says (`@parley/jid`: localpart
 * UsernameCaseMapped, domain lower-cased and IDNA, resource OpaqueString), so two
 * spellings of one address compare equal. Idempotent on prepared JIDs; a string that is
 * no JID is returned trimmed, and matches nothing prepared.
 */
export function canonicalJid(jid: string): string {
  const t = jid.trim();
  return tryParseJid(t)?.toString() ?? t;
}

/** The canonical bare JID of `jid` (see {@link canonicalJid}). */
export function canonicalBare(jid: string): string {
  const t = jid.trim();
  return tryParseJid(t)?.bareString ?? splitJid(t).bare;
}

/**
 * Whether a message with `target` may be archived under `prefs` (XEP-0441 §match):
 * a listed full JID is compared with the target as is, a listed bare JID with the
 * target's bare JID; an exact full-JID entry beats a bare one, and at equal
 * specificity `never` beats `always`. Otherwise the default decides, `roster` by
 * whether the peer is in the roster.
 */
export function mamPrefsAllow(prefs: MamPrefs, target: MamTarget): boolean {
  const t = canonicalJid(target.jid);
  const { bare: tBare, resource } = splitJid(t);
  const listed = (list: string[], full: boolean) =>
    list.some((entry) => {
      const e = canonicalJid(entry);
      const hasResource = splitJid(e).resource !== undefined;
      return full ? hasResource && resource !== undefined && e === t : !hasResource && e === tBare;
    });
  if (listed(prefs.never, true)) return false;
  if (listed(prefs.always, true)) return true;
  if (listed(prefs.never, false)) return false;
  if (listed(prefs.always, false)) return true;
  switch (prefs.default) {
    case 'always':
      return true;
    case 'roster':
      return target.inRoster;
    default:
      return false;
  }
}

/**
 * What compiled preferences say about one peer: archive (`always`), do not (`never`),
 * or it depends on whether the peer is in the user's roster (`roster`).
 */
export type MamVerdict = 'always' | 'never' | 'roster';

/**
 * Compiles `prefs` into a matcher that gives, for a peer's (bare or full) JID, the same
 * answer as {@link mamPrefsAllow} without knowing the roster yet: the lists are folded
 * once into sets, so a lookup costs a few hash probes however long the lists are (for
 * a router that checks every message of an opted-in user).
 */
export function compileMamPrefs(prefs: MamPrefs): (jid: string) => MamVerdict {
  const neverFull = new Set<string>();
  const alwaysFull = new Set<string>();
  const neverBare = new Set<string>();
  const alwaysBare = new Set<string>();
  const sort = (list: string[], full: Set<string>, bare: Set<string>) => {
    for (const entry of list) {
      const e = canonicalJid(entry);
      (splitJid(e).resource !== undefined ? full : bare).add(e);
    }
  };
  sort(prefs.never, neverFull, neverBare);
  sort(prefs.always, alwaysFull, alwaysBare);
  const fallback: MamVerdict = prefs.default === 'always' || prefs.default === 'roster' ? prefs.default : 'never';
  return (jid) => {
    const t = canonicalJid(jid);
    const { bare, resource } = splitJid(t);
    if (resource !== undefined) {
      if (neverFull.has(t)) return 'never';
      if (alwaysFull.has(t)) return 'always';
    }
    if (neverBare.has(bare)) return 'never';
    if (alwaysBare.has(bare)) return 'always';
    return fallback;
  };
}

/** Whether any message may be archived under `prefs` (the user opted in): not plain `never`. */
export function mamOptedIn(prefs: MamPrefs): boolean {
  return prefs.default !== 'never' || prefs.always.length > 0;
}
