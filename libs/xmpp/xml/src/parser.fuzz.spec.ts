// Property-based fuzzing of the stream parser (fast-check, bounded runs; a fixed seed unless FUZZ_SEED is set): whatever
// bytes arrive, in whatever chunks, the parser never throws, reports at most one
// error and stops there, never hands out a stanza larger than its limit, and parses
// any well-formed element tree back to the same tree.
import fc from 'fast-check';
import { Element, x } from './index';
import { chunked, HEADER, Recorder } from './spec-helpers';

const RUNS = { numRuns: 400, seed: Number(process.env.FUZZ_SEED ?? 20261202) };

/** Text with the characters that need escaping, non-BMP characters and XML-illegal controls excluded. */
const text = fc.string({ unit: fc.constantFrom('a', 'é', '<', '>', '&', '"', "'", ']', ' ', '\n', '\t', '\r', '😀', '日', ';', '#'), maxLength: 40 });
const name = fc.stringMatching(/^[a-z][a-z0-9_-]{0,8}$/);

const tree: fc.Arbitrary<Element> = fc.letrec<{ el: Element }>((tie) => ({
  el: fc
    .record({
      name,
      attrs: fc.dictionary(name.filter((n) => n !== 'xmlns'), text, { maxKeys: 4 }),
      children: fc.array(fc.oneof({ depthSize: 'small' }, text.filter((t) => t.length > 0), tie('el')), { maxLength: 4 }),
    })
    .map(({ name: n, attrs, children }) => x(n, attrs, ...children)),
})).el;

describe('StreamParser, fuzzed', () => {
  it('never throws on arbitrary bytes after a valid header, whatever the chunking, and stops at its first error', () => {
    fc.assert(
      fc.property(fc.uint8Array({ maxLength: 2048 }), fc.array(fc.nat(), { maxLength: 16 }), (bytes, cuts) => {
        const r = new Recorder({ maxStanzaBytes: 1024 });
        r.write(HEADER);
        for (const c of chunked(Buffer.from(bytes), cuts)) r.write(c);
        expect(r.errors.length).toBeLessThanOrEqual(1);
        if (r.errors.length) expect(r.events[r.events.length - 1]).toMatch(/^error /);
        for (const s of r.stanzas) expect(Buffer.byteLength(s.toString())).toBeLessThanOrEqual(4 * 1024);
      }),
      RUNS,
    );
  });

  it('never throws on arbitrary text, markup-heavy, before or instead of a header', () => {
    const markup = fc.string({ unit: fc.constantFrom('<', '>', '/', '=', "'", '"', '?', '!', '[', ']', '-', '&', ';', 'a', 'x', ':', 'stream', 'CDATA', '\u0000', ' '), maxLength: 300 });
    fc.assert(
      fc.property(markup, fc.boolean(), (s, withHeader) => {
        const r = new Recorder({ maxStanzaBytes: 1024 });
        if (withHeader) r.write(HEADER);
        r.write(s);
        expect(r.errors.length).toBeLessThanOrEqual(1);
      }),
      RUNS,
    );
  });

  it('parses any serialized element tree back to the same tree, in any chunks', () => {
    fc.assert(
      fc.property(tree, fc.array(fc.nat(), { maxLength: 8 }), (el, cuts) => {
        const xml = el.toString();
        const r = new Recorder();
        r.write(HEADER);
        for (const c of chunked(Buffer.from(xml), cuts)) r.write(c);
        expect(r.errors).toEqual([]);
        expect(r.stanzas).toHaveLength(1);
        expect(r.stanzas[0].toString()).toBe(xml);
      }),
      RUNS,
    );
  });

  it('refuses any stanza over its size limit with policy-violation, however it is split', () => {
    fc.assert(
      fc.property(fc.integer({ min: 64, max: 2048 }), fc.array(fc.nat(), { maxLength: 8 }), (limit, cuts) => {
        const big = Buffer.from(`<message><body>${'x'.repeat(limit + 1)}</body></message>`);
        const r = new Recorder({ maxStanzaBytes: limit });
        r.write(HEADER);
        for (const c of chunked(big, cuts)) r.write(c);
        expect(r.stanzas).toEqual([]);
        expect(r.error).toBe('policy-violation');
      }),
      RUNS,
    );
  });
});
