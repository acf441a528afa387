import { comparisonTable, Figure, median, parleyRatio, ratioCell, rotation } from './compare-report';

describe('median', () => {
  it('ignores missing values and averages the middle two of an even count', () => {
    expect(median([3, undefined, 1, 2])).toBe(2);
    expect(median([4, 1, 3, 2])).toBe(2.5);
    expect(median([undefined, NaN])).toBeUndefined();
  });
});

describe('parleyRatio', () => {
  it('divides by the highest reference when higher is better', () => {
    const f: Figure = { label: 'logins/s', higherIsBetter: true, values: { parley: 300, prosody: 200, ejabberd: 400 } };
    expect(parleyRatio(f)).toEqual({ ratio: 0.75, against: 'ejabberd', parleyBetter: false });
  });

  it('divides by the lowest reference when lower is better', () => {
    const f: Figure = { label: 'KiB', higherIsBetter: false, values: { parley: 30, prosody: 20, ejabberd: 60 } };
    expect(parleyRatio(f)).toEqual({ ratio: 1.5, against: 'prosody', parleyBetter: false });
    expect(parleyRatio({ ...f, values: { parley: 10, prosody: 20 } })).toEqual({ ratio: 0.5, against: 'prosody', parleyBetter: true });
  });

  it('skips references without a value and gives nothing without Parley or references', () => {
    expect(parleyRatio({ label: 'x', higherIsBetter: true, values: { parley: 10, prosody: undefined, ejabberd: 5 } }).against).toBe('ejabberd');
    expect(parleyRatio({ label: 'x', higherIsBetter: true, values: { parley: undefined, prosody: 5 } })).toEqual({});
    expect(parleyRatio({ label: 'x', higherIsBetter: true, values: { parley: 5 } })).toEqual({});
  });
});

describe('ratioCell and comparisonTable', () => {
  it('writes the ratio, the reference and the verdict', () => {
    expect(ratioCell({ ratio: 1.234, against: 'prosody', parleyBetter: true })).toBe('1.23× prosody (better)');
    expect(ratioCell({ ratio: 1, against: 'ejabberd' })).toBe('1× ejabberd (equal)');
    expect(ratioCell({})).toBe('-');
  });

  it('prints one row per figure and one column per server', () => {
    const t = comparisonTable(['parley', 'prosody'], [{ label: 'logins/s', higherIsBetter: true, values: { parley: 1500, prosody: 1000 } }]);
    const lines = t.split('\n');
    expect(lines[0]).toMatch(/^figure\s+parley\s+prosody\s+Parley ÷ best reference$/);
    expect(lines[2]).toMatch(/^logins\/s \(higher is better\)\s+1,500\s+1,000\s+1\.5× prosody \(better\)$/);
  });
});

describe('rotation', () => {
  it('starts each repetition with the next server', () => {
    const s = ['parley', 'prosody', 'ejabberd'];
    expect(rotation(s, 0)).toEqual(s);
    expect(rotation(s, 1)).toEqual(['prosody', 'ejabberd', 'parley']);
    expect(rotation(s, 3)).toEqual(s);
    expect(rotation([], 2)).toEqual([]);
  });
});
