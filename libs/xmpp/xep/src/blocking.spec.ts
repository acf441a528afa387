import { blockCovers, BlockSet, isBlocked } from './blocking';

describe('XEP-0191 JID matching', () => {
  it.each([
    ['romeo@montague.net/orchard', 'romeo@montague.net/orchard', true],
    ['romeo@montague.net/orchard', 'romeo@montague.net/garden', false],
    ['romeo@montague.net/orchard', 'romeo@montague.net', false],
    ['romeo@montague.net', 'romeo@montague.net', true],
    ['romeo@montague.net', 'romeo@montague.net/orchard', true],
    ['romeo@montague.net', 'benvolio@montague.net', false],
    ['montague.net/orchard', 'montague.net/orchard', true],
    ['montague.net/orchard', 'romeo@montague.net/orchard', false],
    ['montague.net', 'romeo@montague.net/orchard', true],
    ['montague.net', 'montague.net', true],
    ['montague.net', 'capulet.com', false],
  ])('an entry %s covers %s: %s', (entry, jid, covered) => {
    expect(blockCovers(entry, jid)).toBe(covered);
    expect(new BlockSet(['someone@else.org', entry]).covers(jid)).toBe(covered);
  });

  it('checks a list entry by entry; an empty list blocks nothing', () => {
    expect(isBlocked(['iago@shakespeare.lit', 'montague.net'], 'romeo@montague.net/x')).toBe(true);
    expect(isBlocked([], 'romeo@montague.net')).toBe(false);
    expect(new BlockSet([]).covers('romeo@montague.net')).toBe(false);
  });
});
