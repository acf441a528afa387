// String preparation for the three JID parts (RFC 7622 §3.2–3.4): PRECIS
// UsernameCaseMapped for the localpart, OpaqueString for the resourcepart,
// and IDNA (through node:url) for the domainpart. Pure functions, no I/O.
//
// The PRECIS derived properties (RFC 8264 §8) are computed from Unicode
// general categories via regular-expression property escapes, so they track
// the Unicode version of the running Node.js. Not implemented: the Bidi Rule
// and the CONTEXTO rules (the few CONTEXTO code points are simply rejected).

import { isIPv4, isIPv6 } from 'node:net';
import { domainToASCII, domainToUnicode } from 'node:url';

/** A JID (or one of its parts) that cannot be prepared; maps to the stanza error jid-malformed. */
export class JidError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'JidError';
  }
}

/** Maximum size of each JID part, in bytes of UTF-8 (RFC 7622 §3.1). */
export const MAX_PART_BYTES = 1023;

// Localpart: printable ASCII except the characters RFC 7622 §3.3.1 forbids ("&'/:<>@).
const ASCII_LOCAL = /^[\x21\x23-\x25\x28-\x2e\x30-\x39\x3b\x3d\x3f\x41-\x7e]+$/;
const FORBIDDEN_IN_LOCAL = /["&'/:<>@]/;
// Resourcepart, all-ASCII fast path: printable ASCII and space.
const ASCII_RESOURCE = /^[\x20-\x7e]+$/;
const ASCII_ONLY = /^\p{ASCII}*$/u;

// PRECIS categories (RFC 8264 §9).
const LETTER_DIGITS = /^[\p{Ll}\p{Lu}\p{Lo}\p{Nd}\p{Lm}\p{Mn}\p{Mc}]$/u;
const FREEFORM_CATEGORIES = /^[\p{L}\p{M}\p{N}\p{P}\p{S}\p{Zs}]$/u;
const IGNORABLE = /[\p{Default_Ignorable_Code_Point}\p{Noncharacter_Code_Point}]/u;
const OLD_HANGUL_JAMO = /[\u1100-\u11ff\ua960-\ua97f\ud7b0-\ud7ff]/;
// RFC 5892 §2.6 exceptions: PVALID ones, and DISALLOWED ones (CONTEXTO ones are treated as DISALLOWED here).
const EXCEPTION_PVALID = new Set([0x00df, 0x03c2, 0x06fd, 0x06fe, 0x0f0b, 0x3007]);
const EXCEPTION_DISALLOWED = new Set([
  0x0640, 0x07fa, 0x302e, 0x302f, 0x3031, 0x3032, 0x3033, 0x3034, 0x3035, 0x303b, 0x00b7, 0x0375, 0x05f3, 0x05f4, 0x30fb,
]);

const WIDE_OR_NARROW = /[\u3000\uff01-\uffee]/g;
const NON_ASCII_SPACE = /[\u00a0\u1680\u2000-\u200a\u202f\u205f\u3000]/g;
const DOTS = /[\u3002\uff0e\uff61]/g;

function utf8Bytes(s: string): number {
  return Buffer.byteLength(s, 'utf8');
}

function checkLength(s: string, what: string): void {
  if (s.length === 0) throw new JidError(`empty ${what}`);
  if (s.length > MAX_PART_BYTES / 3 && utf8Bytes(s) > MAX_PART_BYTES) {
    throw new JidError(`${what} longer than ${MAX_PART_BYTES} bytes`);
  }
}

/** PRECIS IdentifierClass (RFC 8264 §4.2) validity of one code point. */
function identifierOk(cp: number, ch: string): boolean {
  if (cp >= 0x21 && cp <= 0x7e) return true;
  if (EXCEPTION_PVALID.has(cp)) return true;
  if (EXCEPTION_DISALLOWED.has(cp)) return false;
  if (OLD_HANGUL_JAMO.test(ch) || IGNORABLE.test(ch)) return false;
  if (ch.normalize('NFKC') !== ch) return false; // HasCompat
  return LETTER_DIGITS.test(ch);
}

/** PRECIS FreeformClass (RFC 8264 §4.3) validity of one code point. */
function freeformOk(cp: number, ch: string): boolean {
  if (cp >= 0x20 && cp <= 0x7e) return true;
  if (EXCEPTION_PVALID.has(cp)) return true;
  if (EXCEPTION_DISALLOWED.has(cp)) return false;
  if (OLD_HANGUL_JAMO.test(ch) || IGNORABLE.test(ch)) return false;
  return FREEFORM_CATEGORIES.test(ch);
}

/**
 * Prepares a localpart with the PRECIS UsernameCaseMapped profile (RFC 7613
 * §3.2, as RFC 7622 requires): width mapping, lower-casing, NFC, then the
 * IdentifierClass check and RFC 7622's extra forbidden characters.
 */
export function prepareLocalpart(input: string): string {
  checkLength(input, 'localpart');
  let s: string;
  if (ASCII_LOCAL.test(input)) {
    s = input.toLowerCase();
  } else {
    s = input.replace(WIDE_OR_NARROW, (ch) => ch.normalize('NFKC')).toLowerCase().normalize('NFC');
    if (s.length === 0) throw new JidError('empty localpart');
    if (FORBIDDEN_IN_LOCAL.test(s)) throw new JidError('localpart contains a forbidden character');
    for (const ch of s) {
      const cp = ch.codePointAt(0) as number;
      if (!identifierOk(cp, ch)) throw new JidError(`localpart contains disallowed character U+${cp.toString(16).toUpperCase().padStart(4, '0')}`);
    }
  }
  checkLength(s, 'localpart');
  return s;
}

/**
 * Prepares a resourcepart with the PRECIS OpaqueString profile (RFC 7613
 * §4.2): non-ASCII spaces become U+0020, NFC, then the FreeformClass check.
 * Case is preserved.
 */
export function prepareResourcepart(input: string): string {
  checkLength(input, 'resourcepart');
  if (ASCII_RESOURCE.test(input)) return input;
  const s = input.replace(NON_ASCII_SPACE, ' ').normalize('NFC');
  for (const ch of s) {
    const cp = ch.codePointAt(0) as number;
    if (!freeformOk(cp, ch)) throw new JidError(`resourcepart contains disallowed character U+${cp.toString(16).toUpperCase().padStart(4, '0')}`);
  }
  checkLength(s, 'resourcepart');
  return s;
}

const LDH_LABEL = /^[a-z0-9_](?:[a-z0-9_-]{0,61}[a-z0-9_])?$/;
const ALL_NUMERIC = /^(?:[0-9]+|0x[0-9a-f]*)$/;

/**
 * Prepares a domainpart (RFC 7622 §3.2): IP literals are kept (IPv6 in
 * brackets, lower-cased), one trailing dot is removed, and host names are
 * width-mapped, lower-cased, NFC-normalised and run through IDNA
 * (node:url's domainToASCII/domainToUnicode). The result is in Unicode
 * (U-label) form, so equal domains compare equal as strings.
 */
export function prepareDomainpart(input: string): string {
  checkLength(input, 'domainpart');
  if (input.charCodeAt(0) === 0x5b /* [ */) {
    const inner = input.endsWith(']') ? input.slice(1, -1) : '';
    if (!isIPv6(inner)) throw new JidError('malformed IPv6 literal');
    return `[${inner.toLowerCase()}]`;
  }
  let s = ASCII_ONLY.test(input)
    ? input.toLowerCase()
    : input.replace(WIDE_OR_NARROW, (ch) => ch.normalize('NFKC')).replace(DOTS, '.').toLowerCase().normalize('NFC');
  if (s.endsWith('.')) s = s.slice(0, -1);
  if (s.length === 0) throw new JidError('empty domainpart');
  if (isIPv4(s)) return s;

  let ascii = s;
  if (!ASCII_ONLY.test(s) || s.includes('xn--')) {
    ascii = domainToASCII(s);
    if (ascii === '') throw new JidError('domainpart is not a valid internationalised domain name');
  }
  const labels = ascii.split('.');
  for (const label of labels) {
    if (!LDH_LABEL.test(label)) throw new JidError(`invalid domain label "${label}"`);
  }
  if (ALL_NUMERIC.test(labels[labels.length - 1])) throw new JidError('domainpart looks like a malformed IP address');
  const unicode = ascii.includes('xn--') ? domainToUnicode(ascii) : ascii;
  if (unicode === '') throw new JidError('domainpart is not a valid internationalised domain name');
  checkLength(unicode, 'domainpart');
  return unicode;
}
