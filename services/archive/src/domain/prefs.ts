// Archiving preferences (XEP-0441): validation and normalisation of what a user sets.
import type { ArchiveDefaultPref, ArchivePrefsV1 } from '@parley/contracts';
import { tryParseJid } from '@parley/jid';
import { MAM_PREFS_OFF, canonicalJid, mamOptedIn } from '@parley/xep';
import { ArchiveDomainError } from './errors';

const DEFAULTS: readonly ArchiveDefaultPref[] = ['always', 'never', 'roster'];

/** Whether `s` is a JID that RFC 7622 preparation accepts (`@parley/jid`, the one preparation everywhere). */
export function isJidLike(s: unknown): s is string {
  return typeof s === 'string' && tryParseJid(s) !== undefined;
}

/** Whether `s` is a valid bare JID (no resource). */
export function isBareJidLike(s: unknown): s is string {
  if (typeof s !== 'string') return false;
  const j = tryParseJid(s);
  return j !== undefined && j.resource === '';
}

/** The preferences of a user who never set any: archive nothing. */
export function defaultPrefs(): ArchivePrefsV1 {
  return { default: MAM_PREFS_OFF.default, always: [], never: [] };
}

/** Whether `prefs` lets anything be archived (not plain never). */
export const isOptedIn = (prefs: ArchivePrefsV1): boolean => mamOptedIn(prefs);

/**
 * Validates and normalises preferences a user sets: a known default, JIDs folded and
 * deduplicated (first occurrence kept), each list at most `listMax` long.
 */
export function normalizePrefs(input: { default?: unknown; always?: unknown; never?: unknown }, listMax: number): ArchivePrefsV1 {
  if (!DEFAULTS.includes(input.default as ArchiveDefaultPref))
    throw ArchiveDomainError.badRequest(`default must be one of ${DEFAULTS.join(', ')}`);
  const list = (name: 'always' | 'never'): string[] => {
    const raw = input[name] ?? [];
    if (!Array.isArray(raw)) throw ArchiveDomainError.badRequest(`${name} must be a list of JIDs`);
    const out: string[] = [];
    for (const j of raw) {
      if (!isJidLike(j)) throw ArchiveDomainError.badRequest(`${name} contains a malformed JID`);
      const f = canonicalJid(j);
      if (!out.includes(f)) out.push(f);
    }
    if (out.length > listMax) throw ArchiveDomainError.notAcceptable(`${name} holds more than ${listMax} JIDs`);
    return out;
  };
  return { default: input.default as ArchiveDefaultPref, always: list('always'), never: list('never') };
}
