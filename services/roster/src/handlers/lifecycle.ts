// Start-up and shut-down of the roster service's bus side: streams provisioned
// before anything is served, the outbox relayed on a timer, readiness checks.
import { Inject, Injectable, OnApplicationBootstrap, OnModuleDestroy, OnModuleInit } from '@nestjs/common';
import { GATEWAY_EVENTS, ROSTER_EVENTS } from '@parley/contracts';
import { Bus } from '@parley/nats';
import { Health } from '@parley/runtime';
import { DataSource } from 'typeorm';
import type { RosterConfig } from '../config/config';
import { OutboxRelay } from '../store/outbox';
import { ROSTER_CONFIG } from './tokens';

@Injectable()
export class RosterLifecycle implements OnModuleInit, OnApplicationBootstrap, OnModuleDestroy {
  private timer?: NodeJS.Timeout;

  constructor(
    private readonly bus: Bus,
    private readonly ds: DataSource,
    private readonly outbox: OutboxRelay,
    private readonly health: Health,
    @Inject(ROSTER_CONFIG) private readonly config: RosterConfig,
  ) {}

  async onModuleInit(): Promise<void> {
    // The roster service publishes ROSTER_EVENTS and consumes GATEWAY_EVENTS.
    await this.bus.ensureStreams([ROSTER_EVENTS, GATEWAY_EVENTS]);
    this.health.addCheck('database', async () => (await this.ds.query('SELECT 1 AS ok'))[0]?.ok === 1);
    this.health.addCheck('nats', () => !this.bus.nc.isClosed());
  }

  async onApplicationBootstrap(): Promise<void> {
    await this.outbox.tryFlush(); // whatever a previous run committed but did not publish
    this.timer = setInterval(() => void this.outbox.tryFlush(), this.config.ROSTER_OUTBOX_INTERVAL);
    this.timer.unref();
  }

  async onModuleDestroy(): Promise<void> {
    if (this.timer) clearInterval(this.timer);
    this.timer = undefined;
    await this.outbox.tryFlush();
  }
}
