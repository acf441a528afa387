import type { RosterItem } from '@parley/contracts';
import { blockCovers, isBlocked, jidParts, newlyBlockedSubscribers, unblockedContacts } from './blocking';

describe('block-list matching (XEP-0191 §3.3, XEP-0016 §2.1)', () => {
  it('splits prepared JIDs', () => {
    expect(jidParts('a@b/c/d@e')).toEqual({ local: 'a', domain: 'b', resource: 'c/d@e' });
    expect(jidParts('b')).toEqual({ domain: 'b', resource: undefined });
    expect(jidParts('b/r')).toEqual({ domain: 'b', resource: 'r' });
  });

  it.each([
    ['bob@x.org', 'bob@x.org', true],
    ['bob@x.org', 'bob@x.org/phone', true],
    ['bob@x.org', 'eve@x.org', false],
    ['bob@x.org/phone', 'bob@x.org/phone', true],
    ['bob@x.org/phone', 'bob@x.org', false],
    ['bob@x.org/phone', 'bob@x.org/laptop', false],
    ['x.org', 'bob@x.org', true],
    ['x.org', 'bob@x.org/phone', true],
    ['x.org', 'x.org/r', true],
    ['x.org', 'y.org', false],
    ['x.org/r', 'x.org/r', true],
    ['x.org/r', 'bob@x.org/r', false],
    ['x.org/r', 'x.org', false],
  ])('the entry %s covers %s: %s', (entry, jid, covered) => {
    expect(blockCovers(entry, jid)).toBe(covered);
  });

  it('checks a whole list', () => {
    expect(isBlocked(['a@x.org', 'y.org'], 'b@y.org')).toBe(true);
    expect(isBlocked([], 'b@y.org')).toBe(false);
  });
});

describe('presence owed when the block list changes', () => {
  const items: RosterItem[] = [
    { jid: 'from@x.org', groups: [], subscription: 'from' },
    { jid: 'both@x.org', groups: [], subscription: 'both' },
    { jid: 'to@x.org', groups: [], subscription: 'to' },
    { jid: 'none@y.org', groups: [], subscription: 'none' },
  ];

  it('blocking sends unavailable to subscribers newly covered (XEP-0191 §3.3)', () => {
    expect(newlyBlockedSubscribers(items, [], ['x.org'])).toEqual(['from@x.org', 'both@x.org']);
    expect(newlyBlockedSubscribers(items, ['both@x.org'], ['x.org'])).toEqual(['from@x.org']);
  });

  it('unblocking sends presence to freed subscribers and probes freed subscriptions (XEP-0191 §3.4)', () => {
    expect(unblockedContacts(items, ['x.org'], [])).toEqual({ sendPresenceTo: ['from@x.org', 'both@x.org'], probe: ['both@x.org', 'to@x.org'] });
    expect(unblockedContacts(items, ['x.org', 'both@x.org'], ['both@x.org'])).toEqual({ sendPresenceTo: ['from@x.org'], probe: ['to@x.org'] });
  });
});
