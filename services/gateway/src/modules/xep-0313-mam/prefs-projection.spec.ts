import { ArchivePrefsProjection } from './prefs-projection';

const bob = 'bob@localhost';
const prefs = (def: 'always' | 'never' | 'roster', version: number, always: string[] = []) => ({ jid: bob, default: def, always, never: [], version });

describe('ArchivePrefsProjection', () => {
  it('knows only users who opted in', () => {
    const p = new ArchivePrefsProjection();
    expect(p.matcher(bob)).toBeUndefined();
    p.apply(prefs('never', 1));
    expect(p.matcher(bob)).toBeUndefined();
    p.apply(prefs('never', 2, ['alice@localhost']));
    expect(p.matcher(bob)?.('alice@localhost/x')).toBe('always');
    expect(p.matcher(bob)?.('carol@localhost')).toBe('never');
    expect(p.optedInCount).toBe(1);
  });

  it('ignores events older than what it applied', () => {
    const p = new ArchivePrefsProjection();
    expect(p.apply(prefs('always', 3))).toBe(true);
    expect(p.apply(prefs('never', 2))).toBe(false);
    expect(p.apply(prefs('never', 3))).toBe(false);
    expect(p.matcher(bob)).toBeDefined();
    expect(p.apply(prefs('never', 4))).toBe(true);
    expect(p.matcher(bob)).toBeUndefined();
    expect(p.optedInCount).toBe(0);
  });

  it('takes its own set-prefs replies at once, and the event of that change replaces them', () => {
    const p = new ArchivePrefsProjection();
    p.apply(prefs('always', 1));
    p.applyLocal('Bob@localhost', { default: 'never', always: [], never: [] });
    expect(p.matcher(bob)).toBeUndefined();
    expect(p.apply(prefs('always', 1))).toBe(false);
    expect(p.apply(prefs('roster', 2))).toBe(true);
    expect(p.matcher(bob)?.('x@localhost')).toBe('roster');
  });

  it('forgets a deleted account entirely, so a new one of that name starts over', () => {
    const p = new ArchivePrefsProjection();
    p.apply(prefs('always', 7));
    p.forget(bob);
    expect(p.matcher(bob)).toBeUndefined();
    expect(p.optedInCount).toBe(0);
    expect(p.apply(prefs('always', 1))).toBe(true);
  });
});
