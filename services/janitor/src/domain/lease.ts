// Leadership of the janitor replicas: one key in a NATS KV bucket whose entries expire
// `ttlMs` after their last write. The holder renews it on every pass (update with the
// revision it read: a compare-and-set); another replica takes it only when it is absent
// (expired: the holder stopped renewing) or released. A released lease keeps the time of
// the last pass, so a successor does not run again within the same interval.
import type { BusKv } from '@parley/nats';

/** What the lease key holds. */
interface LeaseValue {
  /** Instance holding it; empty when released. */
  holder: string;
  /** ISO time of the holder's last pass. */
  lastRunAt: string;
}

const enc = new TextEncoder();
const dec = new TextDecoder();

function read(v: Uint8Array): LeaseValue | undefined {
  try {
    const o = JSON.parse(dec.decode(v)) as LeaseValue;
    return typeof o?.holder === 'string' && typeof o.lastRunAt === 'string' ? o : undefined;
  } catch {
    return undefined;
  }
}

export class Lease {
  constructor(
    private readonly kv: BusKv,
    private readonly key: string,
    private readonly holder: string,
    /** The pass interval: a released lease is taken only this long after the last pass. */
    private readonly intervalMs: number,
  ) {}

  /**
   * Takes or renews the lease for a pass at `now`; true when this replica holds it and
   * should run the pass (the write recorded the pass, atomically).
   */
  async acquire(now: Date): Promise<boolean> {
    const value = enc.encode(JSON.stringify({ holder: this.holder, lastRunAt: now.toISOString() } satisfies LeaseValue));
    const cur = await this.kv.get(this.key);
    if (!cur) return (await this.kv.create(this.key, value)) !== undefined;
    const v = read(cur.value);
    if (v && v.holder !== this.holder) {
      if (v.holder !== '') return false; // someone else leads
      if (now.getTime() - Date.parse(v.lastRunAt) < this.intervalMs) return false; // released, but this interval has had its pass
    }
    return (await this.kv.update(this.key, value, cur.revision)) !== undefined;
  }

  /** Gives the lease up (shutdown), keeping the time of the last pass; a no-op when another replica holds it. */
  async release(): Promise<void> {
    const cur = await this.kv.get(this.key);
    const v = cur && read(cur.value);
    if (!cur || !v || v.holder !== this.holder) return;
    await this.kv.update(this.key, enc.encode(JSON.stringify({ holder: '', lastRunAt: v.lastRunAt } satisfies LeaseValue)), cur.revision);
  }

  /** The current holder ('' when released), for tests and logs. */
  async currentHolder(): Promise<string | undefined> {
    const cur = await this.kv.get(this.key);
    return cur ? read(cur.value)?.holder : undefined;
  }
}
