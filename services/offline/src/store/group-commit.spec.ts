// GroupCommit: items submitted together share a run, in order, bounded in size and in
// runs at once; a failed run is retried item by item so only the bad item fails.
import { GroupCommit } from './group-commit';

describe('GroupCommit', () => {
  it('hands the items submitted together to one run, in submission order, at most maxBatch each', async () => {
    const runs: number[][] = [];
    const g = new GroupCommit<number, string>(
      async (items) => {
        runs.push(items);
        return items.map((i) => `r${i}`);
      },
      { maxBatch: 3, maxParallel: 1 },
    );
    const results = await Promise.all([1, 2, 3, 4, 5].map((i) => g.submit(i)));
    expect(results).toEqual(['r1', 'r2', 'r3', 'r4', 'r5']);
    expect(runs).toEqual([
      [1, 2, 3],
      [4, 5],
    ]);
    expect(g.waiting).toBe(0);
  });

  it('runs at most maxParallel batches at once; what arrives meanwhile waits for the next run', async () => {
    let running = 0;
    let most = 0;
    const releases: Array<() => void> = [];
    const g = new GroupCommit<number, number>(
      async (items) => {
        running += 1;
        most = Math.max(most, running);
        await new Promise<void>((r) => releases.push(r));
        running -= 1;
        return items;
      },
      { maxBatch: 2, maxParallel: 2 },
    );
    const all = Promise.all([1, 2, 3, 4, 5, 6].map((i) => g.submit(i)));
    for (let i = 0; i < 20 && releases.length < 2; i++) await new Promise((r) => setImmediate(r));
    expect(releases).toHaveLength(2);
    expect(g.waiting).toBe(2);
    for (let i = 0; i < 10 && (releases.length > 0 || g.waiting > 0); i++) {
      releases.splice(0).forEach((r) => r());
      await new Promise((r) => setImmediate(r));
      await new Promise((r) => setImmediate(r));
    }
    expect(await all).toEqual([1, 2, 3, 4, 5, 6]);
    expect(most).toBe(2);
  });

  it('retries a failed batch item by item: only the item that fails alone is rejected', async () => {
    const runs: number[][] = [];
    const g = new GroupCommit<number, number>(
      async (items) => {
        runs.push(items);
        if (items.includes(13)) throw new Error('cannot commit 13');
        return items.map((i) => i * 2);
      },
      { maxBatch: 10, maxParallel: 1 },
    );
    const settled = await Promise.allSettled([12, 13, 14].map((i) => g.submit(i)));
    expect(settled.map((s) => (s.status === 'fulfilled' ? s.value : (s.reason as Error).message))).toEqual([24, 'cannot commit 13', 28]);
    expect(runs).toEqual([[12, 13, 14], [12], [13], [14]]);
  });

  it('treats a run that answers the wrong number of results as failed', async () => {
    const g = new GroupCommit<number, number>(async (items) => (items.length > 1 ? [1] : items), { maxBatch: 10, maxParallel: 1 });
    expect(await Promise.all([7, 8].map((i) => g.submit(i)))).toEqual([7, 8]);
  });
});
