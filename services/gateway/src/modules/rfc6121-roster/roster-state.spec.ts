import type { RosterItem, RosterItemUpdatedV1 } from '@parley/contracts';
import { UserRoster } from './roster-state';

const item = (jid: string, subscription: RosterItem['subscription']): RosterItem => ({ jid, groups: [], subscription });
const event = (ver: number, i: RosterItemUpdatedV1['item']): RosterItemUpdatedV1 => ({ user: 'juliet@localhost', item: i, ver: String(ver), cause: 'subscription' });

describe("a user's roster as a gateway holds it", () => {
  it('applies a change once, and not when an older one arrives after a newer one', () => {
    const u = new UserRoster('juliet@localhost');
    u.snapshot('10', [item('romeo@localhost', 'to')]);
    expect(u.apply(event(12, item('romeo@localhost', 'both')))).toBe(true);
    expect(u.apply(event(11, item('romeo@localhost', 'none')))).toBe(false);
    expect(u.apply(event(12, item('romeo@localhost', 'both')))).toBe(false);
    expect(u.apply(event(11, item('nurse@localhost', 'from')))).toBe(true);
    expect(u.subscribers().sort()).toEqual(['nurse@localhost', 'romeo@localhost']);
  });

  it('re-applies changes newer than a snapshot taken while they were in flight', () => {
    const u = new UserRoster('juliet@localhost');
    u.apply(event(11, item('romeo@localhost', 'from')));
    u.apply(event(12, { jid: 'tybalt@localhost', subscription: 'remove' }));
    u.snapshot('11', [item('romeo@localhost', 'from'), item('tybalt@localhost', 'both')]);
    expect([...u.items.keys()]).toEqual(['romeo@localhost']);
    expect(u.snapshot('9', [])).toBe(false); // older than what is known
    expect(u.hasSubscriber('romeo@localhost')).toBe(true);
    expect(u.subscribedTo('romeo@localhost')).toBe(false);
  });
});
