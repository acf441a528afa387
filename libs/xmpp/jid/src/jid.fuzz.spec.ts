// Property-based fuzzing of JID preparation (fast-check, bounded runs; a fixed seed unless FUZZ_SEED is set): any string
// either parses or fails with JidError — nothing else escapes — and a prepared JID
// is a fixed point (preparing its string form again gives the same JID).
import fc from 'fast-check';
import { JidError, parseJid } from './index';

const RUNS = { numRuns: 1000, seed: Number(process.env.FUZZ_SEED ?? 20261202) };

const jidish = fc.string({
  unit: fc.oneof(
    fc.constantFrom('@', '/', '.', 'a', 'B', 'é', 'ß', 'İ', 'ﬁ', '\u0000', ' ', '\u200b', '\u0301', 'Ω', '😀', '"', '<', ':', '[', ']', '-'),
    fc.string({ maxLength: 1 }),
  ),
  maxLength: 60,
});

describe('JID preparation, fuzzed', () => {
  it('parses or throws JidError, and a prepared JID prepares to itself', () => {
    fc.assert(
      fc.property(jidish, (s) => {
        let jid;
        try {
          jid = parseJid(s);
        } catch (e) {
          expect(e).toBeInstanceOf(JidError);
          return;
        }
        const again = parseJid(jid.toString());
        expect(again.toString()).toBe(jid.toString());
        expect(again.bareString).toBe(jid.bareString);
      }),
      RUNS,
    );
  });
});
