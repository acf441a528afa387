// Start-up and shut-down of the archive's outbox (the shared OutboxRelay): whatever a
// previous run committed but did not publish is relayed at start, then on the scheduler
// every ARCHIVE_OUTBOX_INTERVAL (after a NATS outage), and once more at shut-down.
import { Inject, Injectable, OnApplicationBootstrap, OnModuleDestroy } from '@nestjs/common';
import { OutboxRelay } from '@parley/persistence';
import { SCHEDULER, Scheduler } from '@parley/runtime';
import { ArchiveConfig } from '../config/config';
import { ARCHIVE_CONFIG } from '../tokens';

@Injectable()
export class ArchiveOutbox implements OnApplicationBootstrap, OnModuleDestroy {
  constructor(
    private readonly outbox: OutboxRelay,
    @Inject(SCHEDULER) private readonly scheduler: Scheduler,
    @Inject(ARCHIVE_CONFIG) private readonly config: ArchiveConfig,
  ) {}

  async onApplicationBootstrap(): Promise<void> {
    await this.outbox.tryFlush();
    this.scheduler.every('archive-outbox', this.config.ARCHIVE_OUTBOX_INTERVAL, () => this.outbox.tryFlush());
  }

  async onModuleDestroy(): Promise<void> {
    await this.outbox.tryFlush();
  }
}
