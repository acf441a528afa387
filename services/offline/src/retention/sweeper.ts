// Retention: undelivered messages older than OFFLINE_RETENTION are deleted, on this
// instance's own timer and on offline.cmd.sweep. Expiry is silent towards senders: no
// delivery-failed event, no bounce (the sender was never told the message was stored,
// and is not told anything weeks later); offline.evt.swept carries counts only.
import { Inject, Injectable, OnApplicationBootstrap, OnModuleDestroy } from '@nestjs/common';
import { OfflineEvents, OfflineSweepResult, OfflineSweptV1, envelope } from '@parley/contracts';
import { Bus } from '@parley/nats';
import type { OfflineConfig } from '../config/config';
import { OFFLINE_CONFIG } from '../handlers/params';
import { LOGGER, Logger, SCHEDULER, Scheduler } from '@parley/runtime';
import { OFFLINE_STORE, OfflineStore } from '../store/offline-store';

@Injectable()
export class Sweeper implements OnApplicationBootstrap, OnModuleDestroy {
  private running: Promise<unknown> = Promise.resolve();

  constructor(
    @Inject(OFFLINE_STORE) private readonly store: OfflineStore,
    @Inject(OFFLINE_CONFIG) private readonly config: OfflineConfig,
    @Inject(Bus) private readonly bus: Bus,
    @Inject(LOGGER) private readonly log: Logger,
    @Inject(SCHEDULER) private readonly scheduler: Scheduler,
  ) {}

  onApplicationBootstrap(): void {
    this.scheduler.every('offline-retention', this.config.OFFLINE_SWEEP_INTERVAL, () => this.sweep('timer'));
  }

  async onModuleDestroy(): Promise<void> {
    await this.running.catch(() => undefined);
  }

  /** Runs one sweep (after any sweep still running here), logs and publishes its counts. */
  sweep(trigger: OfflineSweptV1['trigger']): Promise<OfflineSweepResult> {
    const next = this.running.catch(() => undefined).then(() => this.sweepNow(trigger));
    this.running = next;
    return next;
  }

  private async sweepNow(trigger: OfflineSweptV1['trigger']): Promise<OfflineSweepResult> {
    const now = Date.now();
    const cutoff = new Date(now - this.config.OFFLINE_RETENTION);
    const counts = await this.store.sweep({ messagesBefore: cutoff, markersBefore: new Date(now - this.config.OFFLINE_DEDUP_WINDOW) });
    this.log.info({ trigger, messagesDeleted: counts.messages, markersDeleted: counts.markers, cutoff: cutoff.toISOString() }, 'offline retention sweep');
    const swept: OfflineSweptV1 = {
      messagesDeleted: counts.messages,
      markersDeleted: counts.markers,
      cutoff: cutoff.toISOString(),
      retentionMs: this.config.OFFLINE_RETENTION,
      trigger,
    };
    await this.bus.publishEvent(envelope(OfflineEvents.swept, swept));
    return { messagesDeleted: counts.messages, markersDeleted: counts.markers, cutoff: swept.cutoff };
  }
}
