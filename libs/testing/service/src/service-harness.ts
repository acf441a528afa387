// The one harness for a service's integration specs: the service's Nest app in this
// process (its controllers on the bus transport, exactly as in production) against
// real NATS and Postgres, on a fresh database and NATS namespace, driven through a
// second bus connection as the gateway would drive it.
import type { DynamicModule, INestApplication } from '@nestjs/common';
import type { StreamSpec } from '@parley/contracts';
import { Bus } from '@parley/nats';
import { RunServiceOptions, startServiceApp } from '@parley/runtime';
import { Client } from 'pg';
import { createTestDatabase, TestDatabase, testInfra, uniqueNamespace } from '@parley/testing-stack';

/** What a service's harness needs to know about it. */
export interface ServiceUnderTest {
  /** Service name: names the database label and the NATS client. */
  name: string;
  /** Environment variable of the service's database URL, e.g. `ROSTER_DATABASE_URL`. */
  databaseUrlVar: string;
  /** The app module for an environment. */
  module(env: Record<string, string>): DynamicModule;
  /** Queue group and streams, as in the service's main.ts. */
  bus: NonNullable<RunServiceOptions['bus']>;
  /** Streams deleted at the end (default: `bus.streams`). */
  cleanupStreams?: StreamSpec[];
}

export class ServiceHarness {
  app?: INestApplication;
  private pg?: Client;

  private constructor(
    private readonly service: ServiceUnderTest,
    /** The gateway-side connection, in the service's namespace. */
    readonly bus: Bus,
    readonly db: TestDatabase,
    readonly env: Record<string, string>,
  ) {}

  /** A fresh database and namespace; `overrides` are environment variables of the service. Starts the app unless `start: false`. */
  static async create(service: ServiceUnderTest, overrides: Record<string, string> = {}, o: { start?: boolean } = {}): Promise<ServiceHarness> {
    process.env.LOG_LEVEL ??= 'silent';
    const infra = await testInfra();
    const db = await createTestDatabase(service.name);
    const namespace = uniqueNamespace();
    const env = { NATS_URL: infra.natsUrl, NATS_NAMESPACE: namespace, [service.databaseUrlVar]: db.url, HTTP_PORT: '0', LOG_LEVEL: process.env.LOG_LEVEL, ...overrides };
    const bus = await Bus.connect({ url: infra.natsUrl, name: `${service.name}-spec-gateway`, namespace });
    const h = new ServiceHarness(service, bus, db, env);
    if (o.start !== false) await h.start();
    return h;
  }

  /** Starts (or restarts) the service on the same database and namespace. */
  async start(): Promise<void> {
    if (this.app) throw new Error(`${this.service.name} is already running`);
    this.app = await startServiceApp(this.service.module(this.env), { bus: this.service.bus, logs: false });
  }

  /** Stops the service (the database and the streams stay). */
  async stop(): Promise<void> {
    await this.app?.close();
    this.app = undefined;
  }

  /** A provider of the running app. */
  get<T>(token: string | symbol | (abstract new (...args: never[]) => T)): T {
    if (!this.app) throw new Error(`${this.service.name} is not running`);
    return this.app.get<T>(token as never, { strict: false });
  }

  /** Runs SQL on the service's database. */
  async sql<T = Record<string, unknown>>(text: string, params: unknown[] = []): Promise<T[]> {
    if (!this.pg) {
      this.pg = new Client({ connectionString: this.db.url });
      await this.pg.connect();
    }
    return (await this.pg.query(text, params)).rows as T[];
  }

  /** Stops the service, deletes the namespace's streams, drops the database. */
  async close(): Promise<void> {
    await this.stop();
    await this.pg?.end();
    await this.bus.deleteStreams(this.service.cleanupStreams ?? this.service.bus.streams);
    await this.bus.close();
    await this.db.drop();
  }
}
