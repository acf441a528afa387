import { answerRosterGet, parseVer } from './versioning';

const change = (ver: number, contact: string) => ({ ver, contact, item: `${contact}@${ver}` });

describe('roster versioning (RFC 6121 §2.6)', () => {
  it('reads only our own version numbers', () => {
    expect(parseVer('12')).toBe(12);
    expect(parseVer('0')).toBe(0);
    expect(parseVer('')).toBeUndefined();
    expect(parseVer('012')).toBeUndefined();
    expect(parseVer('abc')).toBeUndefined();
    expect(parseVer(undefined)).toBeUndefined();
  });

  it('answers the full roster to a client without a usable version', () => {
    expect(answerRosterGet(5, undefined, [])).toEqual({ kind: 'full' });
    expect(answerRosterGet(5, '', [])).toEqual({ kind: 'full' });
    expect(answerRosterGet(5, 'garbage', [])).toEqual({ kind: 'full' });
    expect(answerRosterGet(5, '9', [])).toEqual({ kind: 'full' });
  });

  it('answers "unchanged" to a client at the current version', () => {
    expect(answerRosterGet(5, '5', [])).toEqual({ kind: 'unchanged' });
  });

  it('answers the latest push per changed contact since the client version, in order', () => {
    const log = [change(3, 'a'), change(4, 'b'), change(5, 'a')];
    expect(answerRosterGet(5, '2', log)).toEqual({ kind: 'pushes', pushes: [{ ver: 4, item: 'b@4' }, { ver: 5, item: 'a@5' }] });
    expect(answerRosterGet(5, '4', log.slice(2))).toEqual({ kind: 'pushes', pushes: [{ ver: 5, item: 'a@5' }] });
  });

  it('answers the full roster when the log no longer reaches back to the client version', () => {
    expect(answerRosterGet(5, '1', [change(3, 'a'), change(4, 'b'), change(5, 'a')])).toEqual({ kind: 'full' });
  });
});
