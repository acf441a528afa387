// The sweep lease over a KV bucket (here an in-memory one with the same compare-and-set rules).
import type { BusKv } from '@parley/nats';
import { Lease } from './lease';

/** KV semantics: create only when absent, update only at the current revision; `expire` plays the TTL. */
class MemoryKv implements BusKv {
  entry?: { value: Uint8Array; revision: number };
  private rev = 0;
  async get() {
    return this.entry;
  }
  async create(_k: string, value: Uint8Array) {
    if (this.entry) return undefined;
    this.entry = { value, revision: ++this.rev };
    return this.rev;
  }
  async update(_k: string, value: Uint8Array, revision: number) {
    if (!this.entry || this.entry.revision !== revision) return undefined;
    this.entry = { value, revision: ++this.rev };
    return this.rev;
  }
  async delete() {
    this.entry = undefined;
  }
  async destroy() {
    this.entry = undefined;
  }
  expire() {
    this.entry = undefined;
  }
}

const MIN = 60_000;

describe('Lease', () => {
  it('lets one replica lead and renew; the other leads only after the lease expired', async () => {
    const kv = new MemoryKv();
    const a = new Lease(kv, 'k', 'a', MIN);
    const b = new Lease(kv, 'k', 'b', MIN);
    const t0 = Date.UTC(2026, 0, 1);
    expect(await a.acquire(new Date(t0))).toBe(true);
    expect(await b.acquire(new Date(t0 + 1))).toBe(false);
    expect(await a.acquire(new Date(t0 + MIN))).toBe(true);
    expect(await b.acquire(new Date(t0 + MIN + 1))).toBe(false);
    kv.expire();
    expect(await b.acquire(new Date(t0 + 4 * MIN))).toBe(true);
    expect(await a.acquire(new Date(t0 + 4 * MIN + 1))).toBe(false);
  });

  it('after a release, the successor waits out the interval of the last pass', async () => {
    const kv = new MemoryKv();
    const a = new Lease(kv, 'k', 'a', MIN);
    const b = new Lease(kv, 'k', 'b', MIN);
    const t0 = Date.UTC(2026, 0, 1);
    expect(await a.acquire(new Date(t0))).toBe(true);
    await a.release();
    expect(await b.currentHolder()).toBe('');
    expect(await b.acquire(new Date(t0 + MIN / 2))).toBe(false);
    expect(await b.acquire(new Date(t0 + MIN))).toBe(true);
    await a.release(); // not a's any more: a no-op
    expect(await b.currentHolder()).toBe('b');
  });

  it('loses a race on the same revision to the replica that wrote first', async () => {
    const kv = new MemoryKv();
    const a = new Lease(kv, 'k', 'a', MIN);
    const b = new Lease(kv, 'k', 'b', MIN);
    const [ra, rb] = await Promise.all([a.acquire(new Date()), b.acquire(new Date())]);
    expect([ra, rb].filter(Boolean)).toHaveLength(1);
  });
});
