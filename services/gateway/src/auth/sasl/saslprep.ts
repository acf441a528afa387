// SASLprep (RFC 4013), the stringprep profile SCRAM applies to passwords.
// Mapping, NFKC, prohibited output and the bidi check of RFC 3454 §6.
// Unassigned code points are allowed (RFC 4013 "queries"), since the server
// must accept whatever a correctly preparing client derived its keys from.
// The bidi tables D.1/D.2 are approximated by script and general category.

/** A string that SASLprep forbids (prohibited character or bad bidi). */
export class SaslPrepError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'SaslPrepError';
  }
}

// RFC 3454 C.1.2: non-ASCII space characters, mapped to U+0020.
const NON_ASCII_SPACE = new Set([0x00a0, 0x1680, 0x2000, 0x2001, 0x2002, 0x2003, 0x2004, 0x2005, 0x2006, 0x2007, 0x2008, 0x2009, 0x200a, 0x200b, 0x202f, 0x205f, 0x3000]);
// RFC 3454 B.1: commonly mapped to nothing.
const MAPPED_TO_NOTHING = new Set([0x00ad, 0x034f, 0x1806, 0x180b, 0x180c, 0x180d, 0x200b, 0x200c, 0x200d, 0x2060, 0xfeff]);
const VARIATION_SELECTORS = [0xfe00, 0xfe0f] as const; // also B.1

type Range = readonly [number, number];
// RFC 3454 prohibited output used by SASLprep (C.1.2 cannot survive the mapping).
const PROHIBITED: readonly Range[] = [
  [0x0000, 0x001f], [0x007f, 0x007f], // C.2.1 ASCII control
  [0x0080, 0x009f], [0x06dd, 0x06dd], [0x070f, 0x070f], [0x180e, 0x180e], [0x200c, 0x200d], [0x2028, 0x2029],
  [0x2060, 0x2063], [0x206a, 0x206f], [0xfeff, 0xfeff], [0xfff9, 0xfffc], [0x1d173, 0x1d17a], // C.2.2 non-ASCII control
  [0xe000, 0xf8ff], [0xf0000, 0xffffd], [0x100000, 0x10fffd], // C.3 private use
  [0xfdd0, 0xfdef], // C.4 non-characters (plus U+nFFFE/U+nFFFF, below)
  [0xd800, 0xdfff], // C.5 surrogates (lone ones, in a JS string)
  [0xfff9, 0xfffd], // C.6 inappropriate for plain text
  [0x2ff0, 0x2ffb], // C.7 inappropriate for canonical representation
  [0x0340, 0x0341], [0x200e, 0x200f], [0x202a, 0x202e], // C.8 change display properties
  [0xe0001, 0xe0001], [0xe0020, 0xe007f], // C.9 tagging
];

function prohibited(cp: number): boolean {
  if ((cp & 0xfffe) === 0xfffe) return true; // C.4: U+nFFFE and U+nFFFF in every plane
  for (const [lo, hi] of PROHIBITED) if (cp >= lo && cp <= hi) return true;
  return false;
}

function map(input: string): string {
  let out = '';
  for (const ch of input) {
    const cp = ch.codePointAt(0) as number;
    if (NON_ASCII_SPACE.has(cp)) out += ' ';
    else if (!MAPPED_TO_NOTHING.has(cp) && !(cp >= VARIATION_SELECTORS[0] && cp <= VARIATION_SELECTORS[1])) out += ch;
  }
  return out;
}

// D.1 (RandALCat) ≈ letters and punctuation of right-to-left scripts; D.2 (LCat) ≈ other letters.
const RTL_SCRIPT = /[\p{Script=Hebrew}\p{Script=Arabic}\p{Script=Syriac}\p{Script=Thaana}\p{Script=Nko}\p{Script=Samaritan}\p{Script=Mandaic}]/u;
const NOT_RANDAL = /[\p{M}\p{Nd}\p{Zs}]/u;
const LETTER = /[\p{L}\p{Mc}]/u;

function isRandAL(ch: string): boolean {
  return RTL_SCRIPT.test(ch) && !NOT_RANDAL.test(ch);
}

/**
 * Applies SASLprep to `input` and returns the prepared string. Throws
 * SaslPrepError when the result contains a prohibited character or breaks
 * the bidi rule. ASCII input without control characters is returned as is.
 */
export function saslprep(input: string): string {
  if (/^[\x20-\x7e]*$/.test(input)) return input;
  const s = map(input).normalize('NFKC');
  let hasRandAL = false;
  let hasL = false;
  for (const ch of s) {
    const cp = ch.codePointAt(0) as number;
    if (prohibited(cp)) throw new SaslPrepError(`prohibited character U+${cp.toString(16).toUpperCase().padStart(4, '0')}`);
    if (isRandAL(ch)) hasRandAL = true;
    else if (LETTER.test(ch)) hasL = true;
  }
  if (hasRandAL) {
    const chars = Array.from(s);
    if (hasL) throw new SaslPrepError('mixes right-to-left and left-to-right characters');
    if (!isRandAL(chars[0]) || !isRandAL(chars[chars.length - 1])) {
      throw new SaslPrepError('right-to-left text must start and end with a right-to-left character');
    }
  }
  return s;
}
