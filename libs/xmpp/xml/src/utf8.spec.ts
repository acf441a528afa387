import fc from 'fast-check';
import { chunked } from './spec-helpers';
import { completeLength, InvalidUtf8Error, Utf8Pieces } from './utf8';

/** What a fatal streaming TextDecoder makes of the same pieces (the behaviour replaced). */
function reference(pieces: Buffer[]): string | 'error' {
  const d = new TextDecoder('utf-8', { fatal: true, ignoreBOM: true });
  try {
    return pieces.map((p, i) => d.decode(p, { stream: i < pieces.length - 1 })).join('');
  } catch {
    return 'error';
  }
}

function decodeAll(pieces: Buffer[]): string | 'error' {
  const d = new Utf8Pieces();
  try {
    const out = pieces.map((p) => d.decode(p)).join('');
    return d.pending ? 'error' : out; // bytes left over at the end: a cut sequence
  } catch (e) {
    expect(e).toBeInstanceOf(InvalidUtf8Error);
    return 'error';
  }
}

describe('Utf8Pieces', () => {
  it('decodes text split inside every kind of sequence', () => {
    const text = "a é € 😀 <message to='ŝ@x'>ß</message>";
    const bytes = Buffer.from(text, 'utf8');
    for (let i = 0; i <= bytes.length; i++) {
      for (let j = i; j <= bytes.length; j++) {
        expect(decodeAll([bytes.subarray(0, i), bytes.subarray(i, j), bytes.subarray(j)])).toBe(text);
      }
    }
  });

  it('carries only the bytes of a cut sequence', () => {
    const d = new Utf8Pieces();
    expect(d.decode(Buffer.from([0x61, 0xf0, 0x9f]))).toBe('a');
    expect(d.pending).toBe(true);
    expect(d.decode(Buffer.from([0x98, 0x80, 0x62]))).toBe('😀b');
    expect(d.pending).toBe(false);
  });

  it.each([
    ['an invalid lead byte', [0xff]],
    ['a truncated sequence followed by ASCII', [0xc3, 0x28]],
    ['an overlong encoding of "/"', [0xc0, 0xaf]],
    ['an encoded UTF-16 surrogate', [0xed, 0xa0, 0x80]],
    ['a code point above U+10FFFF', [0xf4, 0x90, 0x80, 0x80]],
    ['a stray continuation byte', [0x61, 0x80]],
    ['five bytes of one "sequence"', [0xf8, 0x88, 0x80, 0x80, 0x80]],
  ])('rejects %s, whole or byte by byte', (_what, seq) => {
    const bytes = Buffer.from(seq);
    expect(() => new Utf8Pieces().decode(bytes)).toThrow(InvalidUtf8Error);
    const d = new Utf8Pieces();
    expect(() => {
      for (const b of bytes) d.decode(Buffer.from([b]));
      if (d.pending) throw new InvalidUtf8Error();
    }).toThrow(InvalidUtf8Error);
  });

  it('keeps a byte order mark for the XML parser (which skips it at the start of a stream)', () => {
    expect(new Utf8Pieces().decode(Buffer.from([0xef, 0xbb, 0xbf, 0x3c]))).toBe('\ufeff<');
  });

  it('finds where complete sequences end', () => {
    expect(completeLength(Buffer.from([]))).toBe(0);
    expect(completeLength(Buffer.from([0x61]))).toBe(1);
    expect(completeLength(Buffer.from([0x61, 0xc3]))).toBe(1);
    expect(completeLength(Buffer.from([0xc3, 0xa9]))).toBe(2);
    expect(completeLength(Buffer.from([0xe2, 0x82]))).toBe(0);
    expect(completeLength(Buffer.from([0xf0, 0x9f, 0x98]))).toBe(0);
    expect(completeLength(Buffer.from([0x80, 0x80, 0x80]))).toBe(3); // nothing to wait for: invalid now
    expect(completeLength(Buffer.from([0xff]))).toBe(1);
  });

  it('agrees with a fatal streaming TextDecoder on any bytes split anywhere', () => {
    const byteish = fc.oneof(
      fc.integer({ min: 0, max: 0x7f }),
      fc.integer({ min: 0x80, max: 0xbf }),
      fc.integer({ min: 0xc0, max: 0xff }),
    );
    fc.assert(
      fc.property(fc.array(byteish, { maxLength: 24 }), fc.array(fc.nat(), { maxLength: 4 }), (arr, cuts) => {
        const pieces = chunked(Buffer.from(arr), cuts);
        expect(decodeAll(pieces)).toBe(reference(pieces));
      }),
      { numRuns: 5000 },
    );
    fc.assert(
      fc.property(fc.string({ unit: 'grapheme', maxLength: 40 }), fc.array(fc.nat(), { maxLength: 6 }), (text, cuts) => {
        const pieces = chunked(Buffer.from(text, 'utf8'), cuts);
        expect(decodeAll(pieces)).toBe(text);
      }),
      { numRuns: 2000 },
    );
  });
});
