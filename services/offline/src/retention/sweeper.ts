// Retention: undelivered messages older than OFFLINE_RETENTION are deleted, on this
// instance's own timer and on offline.cmd.sweep. Expiry is silent towards senders: no
// delivery-failed event, no bounce (the sender was never told the message was stored,
// and is not told anything weeks later); offline.evt.swept carries counts only.
import { Inject, Injectable, OnApplicationBootstrap, OnModuleDestroy } from '@nestjs/common';
import { OfflineEvents, OfflineSweepResult, OfflineSweptV1, envelope } from '@parley/contracts';
import { Bus } from '@parley/nats';
import type { OfflineConfig } from '../config/config';
import { Logger, OFFLINE_CONFIG, PINO } from '../handlers/tokens';
import { OFFLINE_STORE, OfflineStore } from '../store/offline-store';

@Injectable()
export class Sweeper implements OnApplicationBootstrap, OnModuleDestroy {
  private timer?: NodeJS.Timeout;
  private running: Promise<unknown> = Promise.resolve();

  constructor(
    @Inject(OFFLINE_STORE) private readonly store: OfflineStore,
    @Inject(OFFLINE_CONFIG) private readonly config: OfflineConfig,
    @Inject(Bus) private readonly bus: Bus,
    @Inject(PINO) private readonly log: Logger,
  ) {}

  onApplicationBootstrap(): void {
    this.timer = setInterval(() => {
      this.sweep('timer').catch((err) => this.log.error({ err }, 'offline retention sweep failed'));
    }, this.config.OFFLINE_SWEEP_INTERVAL);
    this.timer.unref();
  }

  async onModuleDestroy(): Promise<void> {
    clearInterval(this.timer);
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
