// A token bucket on the bytes read from one connection (client, server-to-server or
// component streams): above its rate, reading pauses — TCP backpressure on the sender —
// until the bucket has refilled, instead of dropping or closing anything.

export class ReadRate {
  private tokens: number;
  private lastRefill = Date.now();
  private waiting = false;

  /**
   * @param rate bytes per second, sustained
   * @param burst bytes the bucket holds (what may arrive at once)
   * @param pause stops reading (the socket's `pause`)
   * @param resume called once the bucket has refilled; the caller resumes reading unless something else holds it
   */
  constructor(
    private readonly rate: number,
    private readonly burst: number,
    private readonly pause: () => void,
    private readonly resume: () => void,
  ) {
    this.tokens = burst;
  }

  /** True while reading is paused for the rate. */
  get paused(): boolean {
    return this.waiting;
  }

  /** Counts `n` bytes read; when the bucket runs dry, pauses reading for as long as it takes to refill. */
  take(n: number): void {
    const now = Date.now();
    this.tokens = Math.min(this.burst, this.tokens + ((now - this.lastRefill) / 1000) * this.rate) - n;
    this.lastRefill = now;
    if (this.tokens >= 0 || this.waiting) return;
    this.waiting = true;
    this.pause();
    setTimeout(
      () => {
        this.waiting = false;
        this.resume();
      },
      Math.ceil((-this.tokens / this.rate) * 1000),
    ).unref();
  }
}
