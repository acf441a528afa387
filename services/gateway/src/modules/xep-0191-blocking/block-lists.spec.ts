import { BlockLists } from './block-lists';

const options = (now: () => number) => ({ maxCached: 2, ttlMs: 1000, announceQuietMs: 500, retryAfterMs: 100, now });

describe('the block lists a gateway holds', () => {
  let t = 0;
  const now = () => t;
  beforeEach(() => {
    t = 0;
  });

  it('fetches an unknown list once, shares the fetch and then answers from memory', async () => {
    const lists = new BlockLists(options(now));
    const fetch = jest.fn(async () => ['iago@localhost']);
    const [a, b] = await Promise.all([lists.get('juliet@localhost', fetch), lists.get('juliet@localhost', fetch)]);
    expect(a?.jids).toEqual(['iago@localhost']);
    expect(b?.jids).toEqual(['iago@localhost']);
    expect(fetch).toHaveBeenCalledTimes(1);
    expect(lists.blocks('juliet@localhost', 'iago@localhost/phone')).toBe(true);
    expect(lists.blocks('romeo@localhost', 'iago@localhost')).toBe(false);
  });

  it('applies changes seen while a fetch is in flight on top of its answer', async () => {
    const lists = new BlockLists(options(now));
    let answer!: (v: string[]) => void;
    const pending = lists.track('juliet@localhost', () => new Promise<string[]>((r) => (answer = r)), (r) => r);
    lists.onChange({ user: 'juliet@localhost', action: 'block', jids: ['tybalt@localhost'] });
    lists.onChange({ user: 'juliet@localhost', action: 'unblock', jids: ['iago@localhost'] });
    answer(['iago@localhost']); // taken before both changes
    await pending;
    expect(lists.known('juliet@localhost')?.jids).toEqual(['tybalt@localhost']);
  });

  it('keeps a pinned list; expires and evicts cached ones', async () => {
    const lists = new BlockLists(options(now));
    lists.pin('juliet@localhost');
    await lists.get('juliet@localhost', async () => []);
    await lists.get('a@localhost', async () => []);
    await lists.get('b@localhost', async () => []);
    await lists.get('c@localhost', async () => []);
    expect(lists.known('a@localhost')).toBeUndefined(); // evicted: two cached lists at most
    expect(lists.known('c@localhost')?.jids).toEqual([]);
    t = 5000;
    expect(lists.known('c@localhost')).toBeUndefined(); // expired
    expect(lists.known('juliet@localhost')?.jids).toEqual([]); // pinned
    lists.unpin('juliet@localhost');
    t = 7000;
    expect(lists.known('juliet@localhost')).toBeUndefined();
  });

  it('takes a peer announcement only for a list it does not know and that did not just change', () => {
    const lists = new BlockLists(options(now));
    lists.announced('romeo@localhost', ['tybalt@localhost']);
    expect(lists.known('romeo@localhost')?.jids).toEqual(['tybalt@localhost']);
    lists.announced('romeo@localhost', []);
    expect(lists.known('romeo@localhost')?.jids).toEqual(['tybalt@localhost']);
    lists.onChange({ user: 'juliet@localhost', action: 'unblock-all', jids: ['tybalt@localhost'] });
    lists.announced('juliet@localhost', ['tybalt@localhost']); // may predate the change
    expect(lists.known('juliet@localhost')).toBeUndefined();
  });

  it('answers undefined at once while the roster service is unreachable', async () => {
    const lists = new BlockLists(options(now));
    const failing = jest.fn(async (): Promise<string[]> => {
      throw new Error('no responders');
    });
    expect(await lists.get('juliet@localhost', failing)).toBeUndefined();
    expect(await lists.get('romeo@localhost', failing)).toBeUndefined();
    expect(failing).toHaveBeenCalledTimes(1);
    t = 200;
    expect((await lists.get('romeo@localhost', async () => ['x@localhost']))?.jids).toEqual(['x@localhost']);
  });
});
