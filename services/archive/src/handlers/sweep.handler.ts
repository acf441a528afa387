// Retention (ARCHIVE_RETENTION): deletes messages older than the retention on this
// process's own timer (ARCHIVE_SWEEP_INTERVAL) and on archive.cmd.sweep, logs the
// count and publishes archive.evt.swept (counts only). The same timer family
// republishes prefs-changed events left in the outbox.
import { Inject, Injectable } from '@nestjs/common';
import { ArchiveEvents, ArchiveSubjects, ArchiveSweptV1, envelope } from '@parley/contracts';
import { Bus } from '@parley/nats';
import type { Subscription } from 'nats';
import { ArchiveConfig } from '../config/config';
import { ARCHIVE_STORE, ArchiveStore } from '../store/archive-store';
import { ARCHIVE_CONFIG } from '../tokens';
import { ArchiveHandler, LOGGER, Log } from './handler';
import { PrefsEvents } from './prefs-events';

@Injectable()
export class SweepHandler implements ArchiveHandler {
  private sub?: Subscription;
  private timers: NodeJS.Timeout[] = [];
  private running?: Promise<ArchiveSweptV1>;

  constructor(
    private readonly bus: Bus,
    @Inject(ARCHIVE_STORE) private readonly store: ArchiveStore,
    @Inject(ARCHIVE_CONFIG) private readonly config: ArchiveConfig,
    @Inject(LOGGER) private readonly log: Log,
    private readonly prefsEvents: PrefsEvents,
  ) {}

  async start(): Promise<void> {
    this.sub = this.bus.serve<Record<string, never>, ArchiveSweptV1>(ArchiveSubjects.sweep, () => this.sweep(), { queue: 'archive' });
    const tick = (what: string, fn: () => Promise<unknown>) => () => {
      fn().catch((err) => this.log.error({ err }, `${what} failed`));
    };
    this.timers.push(setInterval(tick('retention sweep', () => this.sweep()), this.config.ARCHIVE_SWEEP_INTERVAL).unref());
    this.timers.push(
      setInterval(tick('prefs republish', () => this.prefsEvents.flushPending()), this.config.ARCHIVE_PREFS_REPUBLISH_INTERVAL).unref(),
    );
    await this.prefsEvents.flushPending();
  }

  async stop(): Promise<void> {
    for (const t of this.timers) clearInterval(t);
    this.timers = [];
    this.sub?.unsubscribe();
    await this.running?.catch(() => undefined);
  }

  /** Runs one sweep (joining one already running in this process). */
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
