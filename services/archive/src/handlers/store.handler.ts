// archive.cmd.store (JetStream ARCHIVE_INBOX, durable `archive-store`): archives one
// message when the owner's preferences allow it; acks (drops) everything else.
import { Inject, Controller } from '@nestjs/common';
import { EventPattern, Payload } from '@nestjs/microservices';
import { ARCHIVE_INBOX, ArchiveDeliveryFailedV1, ArchiveEvents, ArchiveStoreV1, ArchiveSubjects, derivedEventId, Durables, envelope, EventEnvelope } from '@parley/contracts';
import { Bus, BusEventOptions, TerminalError } from '@parley/nats';
import { Health, LOGGER, Logger } from '@parley/runtime';
import { Counter } from 'prom-client';
import { ArchiveConfig } from '../config/config';
import { decideStore, malformed } from '../domain/store-decision';
import { canonicalBare } from '@parley/xep';
import { ARCHIVE_STORE, ArchiveStore } from '../store/archive-store';
import { ARCHIVE_CONFIG } from '../tokens';

/** Durable consumer name of the store command. */
export const STORE_DURABLE = Durables.archiveStore;

@Controller()
export class StoreHandler {
  private readonly outcomes: Counter<'outcome'>;

  constructor(
    @Inject(ARCHIVE_STORE) private readonly store: ArchiveStore,
    @Inject(ARCHIVE_CONFIG) private readonly config: ArchiveConfig,
    @Inject(LOGGER) private readonly log: Logger,
    health: Health,
    private readonly bus: Bus,
  ) {
    this.outcomes = new Counter({
      name: 'archive_store_commands_total',
      help: 'Store commands by outcome (stored, duplicate, or the drop reason).',
      labelNames: ['outcome'],
      registers: [health.metrics],
    });
  }

  /**
   * Commands run concurrently across owners (ARCHIVE_STORE_CONCURRENCY) but one at a time
   * per owner, in stream order: two messages with the same timestamp keep the order they
   * were routed in (XEP-0313 §3.1), since `seq` breaks timestamp ties.
   */
  @EventPattern(ArchiveSubjects.store, {
    stream: ARCHIVE_INBOX,
    durable: STORE_DURABLE,
    // concurrency: ARCHIVE_STORE_CONCURRENCY, set per durable in ARCHIVE_BUS (app.module.ts)
    orderingKey: (e) => {
      const owner = (e.data as ArchiveStoreV1 | undefined)?.owner;
      return typeof owner === 'string' ? canonicalBare(owner) : undefined;
    },
  } satisfies BusEventOptions)
  onEvent(@Payload() event: EventEnvelope<ArchiveStoreV1>): Promise<void> {
    return this.handle(event.data, event.id);
  }

  /** Applies one command; resolves when committed or deliberately dropped. */
  async handle(cmd: ArchiveStoreV1, commandId?: string): Promise<void> {
    const problem = malformed(cmd);
    if (problem) {
      this.outcomes.inc({ outcome: 'malformed' });
      throw new TerminalError(`malformed store command: ${problem}`);
    }
    return this.apply(canonicalBare(cmd.owner), cmd, commandId);
  }

  private async apply(owner: string, cmd: ArchiveStoreV1, commandId?: string): Promise<void> {
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
    if (!outcome.stored && (outcome.reason === 'too-large' || outcome.reason === 'expired')) {
      // Asked for by the owner's preferences and refused: a delivery failure for the janitor's log
      // (one per command: a redelivery publishes the same event id, which JetStream drops).
      const data: ArchiveDeliveryFailedV1 = { owner, with: canonicalBare(cmd.with), direction: cmd.direction, reason: outcome.reason, at: new Date().toISOString() };
      await this.bus.publishEvent(envelope(ArchiveEvents.deliveryFailed, data, commandId ? { id: derivedEventId(`archive-refused/${commandId}`), causationId: commandId } : {}));
    }
  }
}
