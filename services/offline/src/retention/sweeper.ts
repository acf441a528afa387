// Retention: undelivered messages older than OFFLINE_RETENTION are deleted on
// offline.cmd.sweep, which the janitor sends every JANITOR_SWEEP_INTERVAL (one replica
// of the janitor leads, so the sweep runs once per interval for the whole deployment);
// the scheduler never overlaps two runs in one process. Expiry is silent towards senders: no
// delivery-failed event, no bounce (the sender was never told the message was stored,
// and is not told anything weeks later); offline.evt.swept carries counts only and is
// queued in the outbox after the deletions (the relay publishes it).
import { Inject, Injectable, OnApplicationBootstrap } from '@nestjs/common';
import { OfflineEvents, OfflineSweepResult, OfflineSweptV1, envelope } from '@parley/contracts';
import type { OfflineConfig } from '../config/config';
import { OFFLINE_CONFIG } from '../handlers/params';
import { JobTrigger, LOGGER, Logger, SCHEDULER, Scheduler } from '@parley/runtime';
import { OFFLINE_STORE, OfflineStore } from '../store/offline-store';

/** The scheduler's name of the retention job. */
export const OFFLINE_RETENTION_JOB = 'offline-retention';

@Injectable()
export class Sweeper implements OnApplicationBootstrap {
  constructor(
    @Inject(OFFLINE_STORE) private readonly store: OfflineStore,
    @Inject(OFFLINE_CONFIG) private readonly config: OfflineConfig,
    @Inject(LOGGER) private readonly log: Logger,
    @Inject(SCHEDULER) private readonly scheduler: Scheduler,
  ) {}

  onApplicationBootstrap(): void {
    this.scheduler.onDemand(OFFLINE_RETENTION_JOB, (trigger) => this.sweep(trigger));
  }

  /** Runs one sweep now, logs and publishes its counts (the scheduler's job; offline.cmd.sweep runs it through the scheduler). */
  async sweep(trigger: JobTrigger): Promise<OfflineSweepResult> {
    const now = Date.now();
    const cutoff = new Date(now - this.config.OFFLINE_RETENTION);
    const swept = (counts: { messages: number; markers: number }): OfflineSweptV1 => ({
      messagesDeleted: counts.messages,
      markersDeleted: counts.markers,
      cutoff: cutoff.toISOString(),
      retentionMs: this.config.OFFLINE_RETENTION,
      trigger,
    });
    const counts = await this.store.sweep({
      messagesBefore: cutoff,
      markersBefore: new Date(now - this.config.OFFLINE_DEDUP_WINDOW),
      swept: (c) => envelope(OfflineEvents.swept, swept(c)),
    });
    this.log.info({ trigger, messagesDeleted: counts.messages, markersDeleted: counts.markers, cutoff: cutoff.toISOString() }, 'offline retention sweep');
    return { messagesDeleted: counts.messages, markersDeleted: counts.markers, cutoff: cutoff.toISOString(), oldestRemaining: counts.oldestRemaining?.toISOString() };
  }
}
