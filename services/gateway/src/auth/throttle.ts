// Failed-login and registration throttles: in memory only, never persisted, keyed
// by account or by source address (addresses never leave this process).

/** Counts events per key in a fixed window; `over(key)` once the limit is reached. */
export class WindowCounter {
  private readonly hits = new Map<string, { n: number; until: number }>();
  private lastSweep = Date.now();

  constructor(
    private readonly limit: number,
    private readonly windowMs: number,
  ) {}

  /** Records one event for `key`. */
  hit(key: string): void {
    const now = Date.now();
    this.sweep(now);
    const h = this.hits.get(key);
    if (!h || h.until <= now) this.hits.set(key, { n: 1, until: now + this.windowMs });
    else h.n += 1;
  }

  /** True when `key` reached the limit in its current window. */
  over(key: string): boolean {
    const h = this.hits.get(key);
    return !!h && h.until > Date.now() && h.n >= this.limit;
  }

  /** Forgets `key` (e.g. after a successful login). */
  clear(key: string): void {
    this.hits.delete(key);
  }

  private sweep(now: number): void {
    if (now - this.lastSweep < this.windowMs) return;
    this.lastSweep = now;
    for (const [k, h] of this.hits) if (h.until <= now) this.hits.delete(k);
  }
}
