// archive.cmd.store (JetStream ARCHIVE_INBOX, durable `archive-store`): archives one
// message when the owner's preferences allow it; acks (drops) everything else.
import { Inject, Injectable } from '@nestjs/common';
import { ARCHIVE_INBOX, ArchiveStoreV1, ArchiveSubjects } from '@parley/contracts';
import { Bus, ConsumerHandle, TerminalError } from '@parley/nats';
import { Health } from '@parley/runtime';
import { Counter } from 'prom-client';
import { ArchiveConfig } from '../config/config';
import { decideStore, malformed } from '../domain/store-decision';
import { foldedBare } from '@parley/xep';
import { ARCHIVE_STORE, ArchiveStore } from '../store/archive-store';
import { ARCHIVE_CONFIG } from '../tokens';
import { ArchiveHandler, LOGGER, Log } from './handler';

/** Durable consumer name of the store command. */
export const STORE_DURABLE = 'archive-store';

@Injectable()
export class StoreHandler implements ArchiveHandler {
  private consumer?: ConsumerHandle;
  private readonly outcomes: Counter<'outcome'>;
  /**
   * The last command in progress per owner. Commands run concurrently across owners but
   * one at a time per owner, in stream order: two messages with the same timestamp keep
   * the order they were routed in (XEP-0313 §3.1), since `seq` breaks timestamp ties.
   */
  private readonly perOwner = new Map<string, Promise<void>>();

  constructor(
    private readonly bus: Bus,
    @Inject(ARCHIVE_STORE) private readonly store: ArchiveStore,
    @Inject(ARCHIVE_CONFIG) private readonly config: ArchiveConfig,
    @Inject(LOGGER) private readonly log: Log,
    health: Health,
  ) {
    this.outcomes = new Counter({
      name: 'archive_store_commands_total',
      help: 'Store commands by outcome (stored, duplicate, or the drop reason).',
      labelNames: ['outcome'],
      registers: [health.metrics],
    });
  }

  async start(): Promise<void> {
    this.consumer = await this.bus.consume<ArchiveStoreV1>({
      stream: ARCHIVE_INBOX,
      durable: STORE_DURABLE,
      filterSubjects: [ArchiveSubjects.store],
      concurrency: this.config.ARCHIVE_STORE_CONCURRENCY,
      handler: async (event) => {
        await this.handle(event.data);
      },
    });
  }

  async stop(): Promise<void> {
    await this.consumer?.stop();
    this.consumer = undefined;
  }

  /** Applies one command; resolves when committed or deliberately dropped. */
  async handle(cmd: ArchiveStoreV1): Promise<void> {
    const problem = malformed(cmd);
    if (problem) {
      this.outcomes.inc({ outcome: 'malformed' });
      throw new TerminalError(`malformed store command: ${problem}`);
    }
    const owner = foldedBare(cmd.owner);
    const before = this.perOwner.get(owner);
    const run = before ? before.then(() => this.apply(owner, cmd)) : this.apply(owner, cmd);
    const tail = run.catch(() => undefined);
    this.perOwner.set(owner, tail);
    void tail.then(() => {
      if (this.perOwner.get(owner) === tail) this.perOwner.delete(owner);
    });
    return run;
  }

  private async apply(owner: string, cmd: ArchiveStoreV1): Promise<void> {
    const outcome = await this.store.storeIfAllowed(owner, (prefs) =>
      decideStore(cmd, prefs, {
        now: new Date(),
        retentionMs: this.config.ARCHIVE_RETENTION,
        maxStanzaBytes: this.config.ARCHIVE_MAX_STANZA_BYTES,
      }),
    );
    const label = outcome.stored ? (outcome.duplicate ? 'duplicate' : 'stored') : outcome.reason;
    this.outcomes.inc({ outcome: label });
    if (!outcome.stored && outcome.reason !== 'prefs') this.log.info({ reason: outcome.reason }, 'store command dropped');
  }
}
