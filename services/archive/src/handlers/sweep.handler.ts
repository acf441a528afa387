// Retention (ARCHIVE_RETENTION): deletes messages older than the retention on
// archive.cmd.sweep, which the janitor sends every JANITOR_SWEEP_INTERVAL (one janitor
// replica leads), logs the count and queues archive.evt.swept (counts only) in the outbox.
import { Controller, Inject, OnApplicationBootstrap } from '@nestjs/common';
import { MessagePattern } from '@nestjs/microservices';
import { ArchiveSubjects, ArchiveSweptV1 } from '@parley/contracts';
import { LOGGER, Logger, SCHEDULER, Scheduler } from '@parley/runtime';
import { ArchiveConfig } from '../config/config';
import { ARCHIVE_STORE, ArchiveStore, SweepResult } from '../store/archive-store';
import { ARCHIVE_CONFIG } from '../tokens';
import { swept } from './prefs-events';

/** The scheduler's name of the retention job. */
export const ARCHIVE_RETENTION_JOB = 'archive-retention';

@Controller()
export class SweepHandler implements OnApplicationBootstrap {
  constructor(
    @Inject(ARCHIVE_STORE) private readonly store: ArchiveStore,
    @Inject(ARCHIVE_CONFIG) private readonly config: ArchiveConfig,
    @Inject(LOGGER) private readonly log: Logger,
    @Inject(SCHEDULER) private readonly scheduler: Scheduler,
  ) {}

  onApplicationBootstrap(): void {
    this.scheduler.onDemand(ARCHIVE_RETENTION_JOB, () => this.run());
  }

  /** Runs one sweep now, through the scheduler (joining one already running in this process). */
  @MessagePattern(ArchiveSubjects.sweep)
  sweep(): Promise<ArchiveSweptV1> {
    return this.scheduler.run<ArchiveSweptV1>(ARCHIVE_RETENTION_JOB);
  }

  private async run(): Promise<ArchiveSweptV1> {
    const retentionMs = this.config.ARCHIVE_RETENTION;
    const cutoff = new Date(Date.now() - retentionMs);
    const counts = (r: SweepResult): ArchiveSweptV1 => ({ deleted: r.deleted, cutoff: cutoff.toISOString(), retentionMs, oldestRemaining: r.oldestRemaining?.toISOString() });
    const r = await this.store.sweep(cutoff, (x) => swept(counts(x)));
    this.log.info({ deleted: r.deleted, retentionMs }, 'archive retention sweep');
    return counts(r);
  }
}
