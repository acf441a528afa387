// Group commit: callers submit one item each and wait for its result; the items ready
// at the same time are handed to `run` together (one database transaction for many
// hand-offs instead of one each). At most `maxParallel` runs at once, each of at most
// `maxBatch` items, in submission order. When a run fails, its items are run again one
// by one, so one item that can never commit fails alone and its neighbours still do.

export interface GroupCommitOptions {
  /** Most items per run. */
  maxBatch: number;
  /** Runs at once (one more can fill up while one commits). */
  maxParallel: number;
}

interface Waiting<I, O> {
  item: I;
  resolve: (o: O) => void;
  reject: (e: unknown) => void;
}

export class GroupCommit<I, O> {
  private readonly queue: Array<Waiting<I, O>> = [];
  private running = 0;
  private scheduled = false;

  constructor(
    /** Decides every item of a batch at once; one result per item, in the same order. */
    private readonly run: (items: I[]) => Promise<O[]>,
    private readonly o: GroupCommitOptions,
  ) {
    if (!(o.maxBatch >= 1 && o.maxParallel >= 1)) throw new Error('GroupCommit needs maxBatch >= 1 and maxParallel >= 1');
  }

  /** Resolves with the item's result once its batch committed; rejects when it failed on its own. */
  submit(item: I): Promise<O> {
    return new Promise<O>((resolve, reject) => {
      this.queue.push({ item, resolve, reject });
      this.schedule();
    });
  }

  /** Items waiting for a run (for tests and metrics). */
  get waiting(): number {
    return this.queue.length;
  }

  // Waits for the end of the current turn of the event loop, so that everything the
  // consumer received in one read joins the same batch.
  private schedule(): void {
    if (this.scheduled || this.running >= this.o.maxParallel || this.queue.length === 0) return;
    this.scheduled = true;
    setImmediate(() => {
      this.scheduled = false;
      while (this.running < this.o.maxParallel && this.queue.length > 0) void this.flush(this.queue.splice(0, this.o.maxBatch));
    });
  }

  private async flush(batch: Array<Waiting<I, O>>): Promise<void> {
    this.running += 1;
    try {
      let results: O[] | undefined;
      try {
        results = await this.run(batch.map((w) => w.item));
        if (results.length !== batch.length) throw new Error(`group commit: ${results.length} results for ${batch.length} items`);
      } catch (e) {
        if (batch.length === 1) batch[0].reject(e);
        else for (const w of batch) await this.run([w.item]).then(([r]) => w.resolve(r), w.reject);
        return;
      }
      batch.forEach((w, i) => w.resolve(results[i]));
    } finally {
      this.running -= 1;
      this.schedule();
    }
  }
}
