// Start-up and shut-down of the offline service's outbox: whatever a previous run
// committed but did not publish is relayed at start, then on the shared scheduler.
import { Inject, Injectable, OnApplicationBootstrap, OnModuleDestroy } from '@nestjs/common';
import { OutboxRelay } from '@parley/persistence';
import { Scheduler, SCHEDULER } from '@parley/runtime';
import type { OfflineConfig } from '../config/config';
import { OFFLINE_CONFIG } from '../handlers/params';

@Injectable()
export class OfflineOutbox implements OnApplicationBootstrap, OnModuleDestroy {
  constructor(
    private readonly outbox: OutboxRelay,
    @Inject(SCHEDULER) private readonly scheduler: Scheduler,
    @Inject(OFFLINE_CONFIG) private readonly config: OfflineConfig,
  ) {}

  async onApplicationBootstrap(): Promise<void> {
    await this.outbox.tryFlush();
    this.scheduler.every('offline-outbox', this.config.OFFLINE_OUTBOX_INTERVAL, () => this.outbox.tryFlush());
  }

  async onModuleDestroy(): Promise<void> {
    await this.outbox.tryFlush();
  }
}
