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

  /** Events for `key` in its current window. */
  count(key: string): number {
    const h = this.hits.get(key);
    return h && h.until > Date.now() ? h.n : 0;
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

/** Limits of {@link LoginThrottle}. */
export interface LoginThrottleOptions {
  /** Failures one address may make (over all accounts) in a window before its answers slow down. */
  freePerAddress: number;
  /** Failures one address may make against one account in a window before its answers slow down. */
  freePerPair: number;
  /**
   * Failures against one account (from every address) in a window after which addresses
   * that have failed against it are refused; an address that has not is still heard.
   */
  accountCeiling: number;
  windowMs: number;
  /** The first delay, doubled for each failure beyond the free ones. */
  baseDelayMs: number;
  /** The longest delay. */
  maxDelayMs: number;
}

/**
 * Failed-login throttling that slows attackers without locking owners out. Failures
 * are counted per (account, address) and per address; beyond the free ones, the
 * failure answer is held back (tarpitting), doubling up to a cap, instead of refusing.
 * Only a high per-account ceiling refuses, and only addresses that failed against that
 * account: the owner logging in from an address that has not been failing gets through.
 * Everything is in memory only; addresses never leave this process.
 */
export class LoginThrottle {
  private readonly perAddress: WindowCounter;
  private readonly perPair: WindowCounter;
  private readonly perAccount: WindowCounter;

  constructor(private readonly o: LoginThrottleOptions) {
    // the counters only count; `over` is asked of the ceiling alone
    this.perAddress = new WindowCounter(Number.MAX_SAFE_INTEGER, o.windowMs);
    this.perPair = new WindowCounter(Number.MAX_SAFE_INTEGER, o.windowMs);
    this.perAccount = new WindowCounter(o.accountCeiling, o.windowMs);
  }

  private static pair(account: string, address: string): string {
    return `${account}\u0000${address}`;
  }

  /** Whether an attempt on `account` from `address` is refused outright (ceiling reached, and this address took part). */
  refused(account: string | undefined, address: string): boolean {
    if (!account || !this.perAccount.over(account)) return false;
    return this.perPair.count(LoginThrottle.pair(account, address)) > 0;
  }

  /** Records a failure; returns how long to hold the answer back (ms). */
  failed(account: string | undefined, address: string): number {
    this.perAddress.hit(address);
    let excess = this.perAddress.count(address) - this.o.freePerAddress;
    if (account) {
      this.perAccount.hit(account);
      const key = LoginThrottle.pair(account, address);
      this.perPair.hit(key);
      excess = Math.max(excess, this.perPair.count(key) - this.o.freePerPair);
    }
    if (excess <= 0) return 0;
    return Math.min(this.o.maxDelayMs, this.o.baseDelayMs * 2 ** Math.min(excess - 1, 30));
  }

  /** A correct login: this address's failures against the account are forgotten. */
  succeeded(account: string, address: string): void {
    this.perPair.clear(LoginThrottle.pair(account, address));
  }
}
