// Retention (ARCHIVE_RETENTION): deletes messages older than the retention on this
// process's own timer (ARCHIVE_SWEEP_INTERVAL) and on archive.cmd.sweep, logs the
// count and publishes archive.evt.swept (counts only). The same timer family
// republishes prefs-changed events left in the outbox.
import { Controller, Inject, OnApplicationBootstrap } from '@nestjs/common';
import { MessagePattern } from '@nestjs/microservices';
import { ArchiveEvents, ArchiveSubjects, ArchiveSweptV1, envelope } from '@parley/contracts';
import { Bus } from '@parley/nats';
import { LOGGER, Logger, SCHEDULER, Scheduler } from '@parley/runtime';
import { ArchiveConfig } from '../config/config';
import { ARCHIVE_STORE, ArchiveStore } from '../store/archive-store';
import { ARCHIVE_CONFIG } from '../tokens';
import { PrefsEvents } from './prefs-events';

@Controller()
export class SweepHandler implements OnApplicationBootstrap {
  private running?: Promise<ArchiveSweptV1>;

  constructor(
    private readonly bus: Bus,
    @Inject(ARCHIVE_STORE) private readonly store: ArchiveStore,
    @Inject(ARCHIVE_CONFIG) private readonly config: ArchiveConfig,
    @Inject(LOGGER) private readonly log: Logger,
    private readonly prefsEvents: PrefsEvents,
    @Inject(SCHEDULER) private readonly scheduler: Scheduler,
  ) {}

  async onApplicationBootstrap(): Promise<void> {
    this.scheduler.every('archive-retention', this.config.ARCHIVE_SWEEP_INTERVAL, () => this.sweep());
    this.scheduler.every('archive-prefs-republish', this.config.ARCHIVE_PREFS_REPUBLISH_INTERVAL, () => this.prefsEvents.flushPending());
    await this.prefsEvents.flushPending();
  }

  /** Runs one sweep (joining one already running in this process). */
  @MessagePattern(ArchiveSubjects.sweep)
  sweep(): Promise<ArchiveSweptV1> {
    this.running ??= this.run().finally(() => {
      this.running = undefined;
    });
    return this.running;
  }

  private async run(): Promise<ArchiveSweptV1> {
    const retentionMs = this.config.ARCHIVE_RETENTION;
    const cutoff = new Date(Date.now() - retentionMs);
    const deleted = await this.store.sweep(cutoff);
    const swept: ArchiveSweptV1 = { deleted, cutoff: cutoff.toISOString(), retentionMs };
    this.log.info({ deleted, retentionMs }, 'archive retention sweep');
    await this.bus.publishEvent(envelope(ArchiveEvents.swept, swept));
    return swept;
  }
}
