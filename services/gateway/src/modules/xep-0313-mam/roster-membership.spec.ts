import type { RosterGetResult } from '@parley/contracts';
import { BusUnavailableError } from '@parley/nats';
import pino from 'pino';
import { RosterMembership } from './roster-membership';

const log = pino({ level: 'silent' });
const full = (jids: string[]): RosterGetResult => ({ kind: 'full', ver: '1', items: jids.map((jid) => ({ jid, groups: [], subscription: 'both' })) });

describe('RosterMembership', () => {
  it('asks once per user, then answers from the cache and follows item updates', async () => {
    let asked = 0;
    const r = new RosterMembership(async () => {
      asked++;
      return full(['Alice@localhost']);
    }, log);
    const [a, b] = await Promise.all([r.has('bob@localhost', 'alice@localhost'), r.has('bob@localhost', 'carol@localhost')]);
    expect([a, b, asked]).toEqual([true, false, 1]);
    expect(r.has('bob@localhost', 'alice@localhost')).toBe(true);
    r.itemUpdated({ user: 'bob@localhost', item: { jid: 'carol@localhost', groups: [], subscription: 'none' }, ver: '2', cause: 'set' });
    r.itemUpdated({ user: 'bob@localhost', item: { jid: 'alice@localhost', subscription: 'remove' }, ver: '3', cause: 'remove' });
    expect(r.has('bob@localhost', 'carol@localhost')).toBe(true);
    expect(r.has('bob@localhost', 'alice@localhost')).toBe(false);
    expect(asked).toBe(1);
  });

  it('takes an absent roster service as "not in roster" and asks again soon', async () => {
    let now = 0;
    let up = false;
    const r = new RosterMembership(
      async () => {
        if (!up) throw new BusUnavailableError('roster.qry.get', 'no-responders');
        return full(['alice@localhost']);
      },
      log,
      { unavailableTtlMs: 1000 },
      () => now,
    );
    await expect(r.has('bob@localhost', 'alice@localhost')).resolves.toBe(false);
    expect(r.has('bob@localhost', 'alice@localhost')).toBe(false);
    up = true;
    now = 1001;
    await expect(r.has('bob@localhost', 'alice@localhost')).resolves.toBe(true);
  });

  it('keeps at most maxUsers rosters', async () => {
    let asked = 0;
    const r = new RosterMembership(async () => (asked++, full([])), log, { maxUsers: 2 });
    for (const u of ['a', 'b', 'c']) await r.has(`${u}@localhost`, 'x@localhost');
    expect(r.has('c@localhost', 'x@localhost')).toBe(false);
    await r.has('a@localhost', 'x@localhost');
    expect(asked).toBe(4);
  });
});
