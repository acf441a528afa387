import { BusUnavailableError } from '@parley/nats';
import { batchedOrEach, serialBatches, turnBatches } from './batches';

describe('batches', () => {
  it('gathers the keys of one turn into one batch, each caller its own answer', async () => {
    const seen: string[][] = [];
    const l = turnBatches<string, string>(async (keys) => (seen.push([...keys]), keys.map((k) => k.toUpperCase())), 10);
    expect(await Promise.all(['a', 'b', 'a'].map((k) => l.load(k)))).toEqual(['A', 'B', 'A']);
    expect(seen).toEqual([['a', 'b', 'a']]);
  });

  it('serial: keys asked while a batch is answered wait and go together in the next one', async () => {
    const seen: string[][] = [];
    let release!: () => void;
    const first = new Promise<void>((r) => (release = r));
    const l = serialBatches<string, number>(async (keys) => {
      seen.push([...keys]);
      if (seen.length === 1) await first;
      return keys.map((k) => k.length);
    }, 10);
    const a = l.load('a');
    await new Promise((r) => setImmediate(r));
    const more = ['bb', 'ccc'].map((k) => l.load(k));
    await new Promise((r) => setImmediate(r));
    expect(seen).toEqual([['a']]);
    release();
    expect(await Promise.all([a, ...more])).toEqual([1, 2, 3]);
    expect(seen).toEqual([['a'], ['bb', 'ccc']]);
  });

  it('asks each key alone only when nobody answers the batched subject; other failures stand', async () => {
    const single = jest.fn(async (k: string) => `${k}!`);
    expect(await batchedOrEach(['x', 'y'], () => Promise.reject(new BusUnavailableError('q.many', 'no-responders')), single)).toEqual(['x!', 'y!']);
    await expect(batchedOrEach(['x'], () => Promise.reject(new BusUnavailableError('q.many', 'timeout')), single)).rejects.toThrow('timeout');
    await expect(batchedOrEach(['x'], () => Promise.reject(new Error('boom')), single)).rejects.toThrow('boom');
    expect(single).toHaveBeenCalledTimes(2);
  });
});
