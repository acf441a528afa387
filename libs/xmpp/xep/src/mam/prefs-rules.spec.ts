import { MAM_PREFS_OFF, MamPrefs, compileMamPrefs, canonicalJid, canonicalBare, mamOptedIn, mamPrefsAllow, splitJid } from './prefs-rules';

const prefs = (p: Partial<MamPrefs>): MamPrefs => ({ default: 'never', always: [], never: [], ...p });
const romeo = 'romeo@montague.lit';
const romeoPhone = 'romeo@montague.lit/phone';
const romeoLaptop = 'romeo@montague.lit/laptop';

describe('XEP-0441 archiving preferences', () => {
  describe('the default alone', () => {
    it.each`
      def         | inRoster | archived
      ${'never'}  | ${true}  | ${false}
      ${'never'}  | ${false} | ${false}
      ${'always'} | ${true}  | ${true}
      ${'always'} | ${false} | ${true}
      ${'roster'} | ${true}  | ${true}
      ${'roster'} | ${false} | ${false}
    `('default=$def, peer in roster=$inRoster → archived=$archived', ({ def, inRoster, archived }) => {
      expect(mamPrefsAllow(prefs({ default: def }), { jid: romeoPhone, inRoster })).toBe(archived);
    });
  });

  describe('a bare JID in a list matches every resource of the peer', () => {
    it.each`
      def         | inRoster | list        | archived
      ${'never'}  | ${false} | ${'always'} | ${true}
      ${'never'}  | ${true}  | ${'always'} | ${true}
      ${'roster'} | ${false} | ${'always'} | ${true}
      ${'always'} | ${false} | ${'always'} | ${true}
      ${'always'} | ${true}  | ${'never'}  | ${false}
      ${'roster'} | ${true}  | ${'never'}  | ${false}
      ${'never'}  | ${true}  | ${'never'}  | ${false}
    `('default=$def, in roster=$inRoster, peer in $list list → archived=$archived', ({ def, inRoster, list, archived }) => {
      const p = prefs({ default: def, [list]: [romeo] });
      expect(mamPrefsAllow(p, { jid: romeoPhone, inRoster })).toBe(archived);
      expect(mamPrefsAllow(p, { jid: romeo, inRoster })).toBe(archived);
    });
  });

  describe('a full JID in a list matches only that address', () => {
    it('archives the listed resource only', () => {
      const p = prefs({ default: 'never', always: [romeoPhone] });
      expect(mamPrefsAllow(p, { jid: romeoPhone, inRoster: false })).toBe(true);
      expect(mamPrefsAllow(p, { jid: romeoLaptop, inRoster: false })).toBe(false);
      expect(mamPrefsAllow(p, { jid: romeo, inRoster: false })).toBe(false);
    });

    it('refuses the listed resource only', () => {
      const p = prefs({ default: 'always', never: [romeoPhone] });
      expect(mamPrefsAllow(p, { jid: romeoPhone, inRoster: true })).toBe(false);
      expect(mamPrefsAllow(p, { jid: romeoLaptop, inRoster: true })).toBe(true);
    });

    it('beats a bare entry in the other list', () => {
      const p = prefs({ default: 'never', always: [romeoPhone], never: [romeo] });
      expect(mamPrefsAllow(p, { jid: romeoPhone, inRoster: true })).toBe(true);
      expect(mamPrefsAllow(p, { jid: romeoLaptop, inRoster: true })).toBe(false);
    });
  });

  it('lets never win when a JID is in both lists', () => {
    expect(mamPrefsAllow(prefs({ default: 'always', always: [romeo], never: [romeo] }), { jid: romeo, inRoster: true })).toBe(false);
    expect(mamPrefsAllow(prefs({ always: [romeoPhone], never: [romeoPhone] }), { jid: romeoPhone, inRoster: true })).toBe(false);
  });

  it('ignores other peers in the lists', () => {
    const p = prefs({ default: 'roster', always: ['juliet@capulet.lit'], never: ['tybalt@capulet.lit'] });
    expect(mamPrefsAllow(p, { jid: romeoPhone, inRoster: false })).toBe(false);
    expect(mamPrefsAllow(p, { jid: romeoPhone, inRoster: true })).toBe(true);
  });

  it('compares localpart and domain case-insensitively, resources exactly', () => {
    expect(mamPrefsAllow(prefs({ always: ['Romeo@Montague.LIT'] }), { jid: 'rOmeo@montague.lit/Phone', inRoster: false })).toBe(true);
    expect(mamPrefsAllow(prefs({ always: ['romeo@montague.lit/Phone'] }), { jid: 'ROMEO@montague.lit/phone', inRoster: false })).toBe(false);
    expect(canonicalJid('alicE@Example.org/Res')).toBe('alice@example.org/Res');
    expect(canonicalJid('Ａlice@EXAMPLE.org')).toBe('alice@example.org'); // PRECIS width and case mapping, not toLowerCase
    expect(canonicalBare('a@b.example/x')).toBe('a@b.example');
    expect(splitJid('a@b/c/d')).toEqual({ bare: 'a@b', resource: 'c/d' });
  });

  it('starts a new account archiving nothing, and counts any always entry as opted in', () => {
    expect(MAM_PREFS_OFF.default).toBe('never');
    expect(mamOptedIn(MAM_PREFS_OFF)).toBe(false);
    expect(mamOptedIn(prefs({ never: [romeo] }))).toBe(false);
    expect(mamOptedIn(prefs({ always: [romeo] }))).toBe(true);
    expect(mamOptedIn(prefs({ default: 'roster' }))).toBe(true);
    expect(mamOptedIn(prefs({ default: 'always' }))).toBe(true);
  });

  describe('compiled preferences', () => {
    const peers = [romeo, romeoPhone, romeoLaptop, 'ROMEO@Montague.lit/phone', 'juliet@capulet.lit', 'juliet@capulet.lit/balcony', 'tybalt@capulet.lit/x'];
    const lists = [[], [romeo], [romeoPhone], ['Romeo@montague.lit'], ['juliet@capulet.lit', romeoLaptop]];
    const cases: MamPrefs[] = [];
    for (const def of ['always', 'never', 'roster'] as const) for (const always of lists) for (const never of lists) cases.push({ default: def, always, never });

    it('agree with mamPrefsAllow for every default, list and peer', () => {
      for (const p of cases) {
        const verdict = compileMamPrefs(p);
        for (const jid of peers) {
          const v = verdict(jid);
          for (const inRoster of [true, false]) {
            const expected = mamPrefsAllow(p, { jid, inRoster });
            expect([p, jid, inRoster, v === 'always' || (v === 'roster' && inRoster)]).toEqual([p, jid, inRoster, expected]);
          }
        }
      }
    });

    it('only asks for the roster when the default decides and the default is roster', () => {
      expect(compileMamPrefs(prefs({ default: 'roster', always: [romeo] }))(romeoPhone)).toBe('always');
      expect(compileMamPrefs(prefs({ default: 'roster', never: [romeoPhone] }))(romeoPhone)).toBe('never');
      expect(compileMamPrefs(prefs({ default: 'roster' }))(romeoPhone)).toBe('roster');
      expect(compileMamPrefs(prefs({ default: 'always' }))(romeoPhone)).toBe('always');
      expect(compileMamPrefs(MAM_PREFS_OFF)(romeoPhone)).toBe('never');
    });
  });
});
