import { ArchiveDomainError } from './errors';
import { defaultPrefs, isOptedIn, normalizePrefs } from './prefs';

describe('archiving preferences a user sets', () => {
  it('start at never with empty lists for a new account (opt-in)', () => {
    expect(defaultPrefs()).toEqual({ default: 'never', always: [], never: [] });
    expect(isOptedIn(defaultPrefs())).toBe(false);
  });

  it('are folded and deduplicated, keeping the first occurrence', () => {
    expect(normalizePrefs({ default: 'roster', always: ['bOb@Localhost', 'bob@localhost', 'bob@localhost/Phone'], never: [] }, 10)).toEqual({
      default: 'roster',
      always: ['bob@localhost', 'bob@localhost/Phone'],
      never: [],
    });
  });

  it('treat missing lists as empty', () => {
    expect(normalizePrefs({ default: 'always' }, 10)).toEqual({ default: 'always', always: [], never: [] });
  });

  it.each([
    [{ default: 'sometimes' }, 'bad-request'],
    [{ default: undefined }, 'bad-request'],
    [{ default: 'never', always: 'bob@localhost' }, 'bad-request'],
    [{ default: 'never', never: ['not a jid'] }, 'bad-request'],
    [{ default: 'never', never: [''] }, 'bad-request'],
    [{ default: 'never', always: ['a@x', 'b@x', 'c@x'] }, 'not-acceptable'],
  ])('refuse %j with %s', (input, condition) => {
    let err: unknown;
    try {
      normalizePrefs(input, 2);
    } catch (e) {
      err = e;
    }
    expect(err).toBeInstanceOf(ArchiveDomainError);
    expect((err as ArchiveDomainError).condition).toBe(condition);
  });
});
