import { boundedStatus, InvalidRosterItem, validateItemFields } from './validation';

const limits = { maxNameLength: 10, maxGroupLength: 5, maxGroups: 3 };

function failure(input: { name?: unknown; groups?: unknown }): InvalidRosterItem {
  try {
    validateItemFields(input, limits);
  } catch (e) {
    return e as InvalidRosterItem;
  }
  throw new Error('expected a failure');
}

describe('roster set validation (RFC 6121 §2.3.3)', () => {
  it('accepts a name and distinct groups, keeping their order', () => {
    expect(validateItemFields({ name: 'Bob', groups: ['b', 'a'] }, limits)).toEqual({ name: 'Bob', groups: ['b', 'a'] });
  });

  it('treats an absent or empty name as none and absent groups as no group', () => {
    expect(validateItemFields({}, limits)).toEqual({ name: undefined, groups: [] });
    expect(validateItemFields({ name: '' }, limits)).toEqual({ name: undefined, groups: [] });
  });

  it('counts characters, not bytes', () => {
    expect(validateItemFields({ name: 'ééééééééé😀' }, limits).name).toBe('ééééééééé😀');
  });

  it('refuses a name longer than the limit with not-acceptable', () => {
    expect(failure({ name: 'x'.repeat(11) })).toMatchObject({ condition: 'not-acceptable', message: 'the item name may have at most 10 characters' });
  });

  it('refuses an empty group with not-acceptable', () => {
    expect(failure({ groups: [''] }).condition).toBe('not-acceptable');
  });

  it('refuses a group longer than the limit with not-acceptable', () => {
    expect(failure({ groups: ['abcdef'] }).condition).toBe('not-acceptable');
  });

  it('refuses duplicate groups with bad-request', () => {
    expect(failure({ groups: ['a', 'b', 'a'] })).toMatchObject({ condition: 'bad-request', message: 'the group "a" appears more than once' });
  });

  it('refuses more groups than allowed with not-acceptable', () => {
    expect(failure({ groups: ['a', 'b', 'c', 'd'] }).condition).toBe('not-acceptable');
  });

  it('refuses values that are not text with bad-request', () => {
    expect(failure({ name: 3 }).condition).toBe('bad-request');
    expect(failure({ groups: 'a' }).condition).toBe('bad-request');
    expect(failure({ groups: [1] }).condition).toBe('bad-request');
  });
});

describe('status text of a pending request', () => {
  it('is kept when short, cut when long, dropped when empty', () => {
    expect(boundedStatus('hi', 5)).toBe('hi');
    expect(boundedStatus('hello world', 5)).toBe('hello');
    expect(boundedStatus('', 5)).toBeUndefined();
    expect(boundedStatus(undefined, 5)).toBeUndefined();
  });
});
