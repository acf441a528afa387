// Integration-test harness: the roster app in-process against real NATS and
// Postgres, driven only through the bus as the gateway would.
import { INestApplicationContext } from '@nestjs/common';
import { NestFactory } from '@nestjs/core';
import { EventEnvelope, GATEWAY_EVENTS, ROSTER_EVENTS } from '@parley/contracts';
import { Bus } from '@parley/nats';
import { createTestDatabase, TestDatabase, testInfra, uniqueNamespace, waitFor } from '@parley/testing-stack';
import { Client } from 'pg';
import type { Subscription } from 'nats';
import { AppModule } from '../app.module';
import { loadRosterConfig } from '../config/config';

/** A running roster service plus a gateway-side bus that records every roster event. */
export class RosterHarness {
  app?: INestApplicationContext;
  readonly events: EventEnvelope[] = [];
  private sub?: Subscription;
  private pg?: Client;

  private constructor(
    readonly bus: Bus,
    readonly db: TestDatabase,
    readonly env: Record<string, string>,
  ) {}

  /** A fresh database and namespace; `overrides` are environment variables of the service. */
  static async create(overrides: Record<string, string> = {}): Promise<RosterHarness> {
    process.env.LOG_LEVEL ??= 'silent';
    const infra = await testInfra();
    const db = await createTestDatabase('roster');
    const namespace = uniqueNamespace();
    const env = { NATS_URL: infra.natsUrl, NATS_NAMESPACE: namespace, ROSTER_DATABASE_URL: db.url, HTTP_PORT: '0', ...overrides };
    const bus = await Bus.connect({ url: infra.natsUrl, name: 'roster-spec-gateway', namespace });
    const h = new RosterHarness(bus, db, env);
    h.sub = bus.subscribe<EventEnvelope>('roster.evt.>', (e) => {
      h.events.push(e);
    });
    await bus.nc.flush();
    await h.start();
    return h;
  }

  /** Starts (or restarts) the service on the same database and namespace. */
  async start(): Promise<void> {
    const config = loadRosterConfig(this.env);
    this.app = await NestFactory.createApplicationContext(AppModule.forRoot(config, this.env), { logger: false });
  }

  /** Stops the service (the database and the streams stay). */
  async stop(): Promise<void> {
    await this.app?.close();
    this.app = undefined;
  }

  /** Sends a request as the gateway would. */
  request<T>(subject: string, data: unknown): Promise<T> {
    return this.bus.request<T>(subject, data);
  }

  /** Runs SQL on the service's database. */
  async sql<T = Record<string, unknown>>(text: string, params: unknown[] = []): Promise<T[]> {
    if (!this.pg) {
      this.pg = new Client({ connectionString: this.db.url });
      await this.pg.connect();
    }
    return (await this.pg.query(text, params)).rows as T[];
  }

  /** Events of `type` whose data matches `where`, waiting until at least `count` arrived. */
  async waitForEvents<T>(type: string, where: (data: T) => boolean, count = 1): Promise<Array<EventEnvelope<T>>> {
    const pick = () => this.events.filter((e) => e.type === type && where(e.data as T)) as Array<EventEnvelope<T>>;
    await waitFor(() => pick().length >= count, { what: `${count} ${type} event(s)` });
    return pick();
  }

  /** Events seen so far (no waiting). */
  seen<T>(type: string, where: (data: T) => boolean = () => true): Array<EventEnvelope<T>> {
    return this.events.filter((e) => e.type === type && where(e.data as T)) as Array<EventEnvelope<T>>;
  }

  async close(): Promise<void> {
    await this.stop();
    this.sub?.unsubscribe();
    await this.pg?.end();
    await this.bus.deleteStreams([ROSTER_EVENTS, GATEWAY_EVENTS]);
    await this.bus.close();
    await this.db.drop();
  }
}
