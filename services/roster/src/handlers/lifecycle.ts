// Start-up and shut-down of the roster service's outbox: whatever a previous run
// committed but did not publish is relayed at start, then on the shared scheduler.
import { Inject, Injectable, OnApplicationBootstrap, OnModuleDestroy } from '@nestjs/common';
import { Scheduler, SCHEDULER } from '@parley/runtime';
import type { RosterConfig } from '../config/config';
import { OutboxRelay } from '@parley/persistence';
import { ROSTER_CONFIG } from './tokens';

@Injectable()
export class RosterLifecycle implements OnApplicationBootstrap, OnModuleDestroy {
  constructor(
    private readonly outbox: OutboxRelay,
    @Inject(SCHEDULER) private readonly scheduler: Scheduler,
    @Inject(ROSTER_CONFIG) private readonly config: RosterConfig,
  ) {}

  async onApplicationBootstrap(): Promise<void> {
    await this.outbox.tryFlush(); // whatever a previous run committed but did not publish
    this.scheduler.every('roster-outbox', this.config.ROSTER_OUTBOX_INTERVAL, () => this.outbox.tryFlush());
  }

  async onModuleDestroy(): Promise<void> {
    await this.outbox.tryFlush();
  }
}
