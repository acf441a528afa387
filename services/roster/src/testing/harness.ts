// Integration-test harness: the roster app in-process against real NATS and
// Postgres (the shared ServiceHarness), driven only through the bus as the gateway
// would, recording every roster event.
import { EventEnvelope } from '@parley/contracts';
import type { Bus } from '@parley/nats';
import { ServiceHarness } from '@parley/testing-service';
import { waitFor } from '@parley/testing-stack';
import type { Subscription } from 'nats';
import { AppModule, ROSTER_BUS } from '../app.module';
import { loadRosterConfig } from '../config/config';

/** A running roster service plus a gateway-side bus that records every roster event. */
export class RosterHarness {
  readonly events: EventEnvelope[] = [];
  private sub?: Subscription;

  private constructor(readonly service: ServiceHarness) {}

  get bus(): Bus {
    return this.service.bus;
  }

  /** A fresh database and namespace; `overrides` are environment variables of the service. */
  static async create(overrides: Record<string, string> = {}): Promise<RosterHarness> {
    const service = await ServiceHarness.create(
      { name: 'roster', databaseUrlVar: 'ROSTER_DATABASE_URL', module: (env) => AppModule.forRoot(loadRosterConfig(env), env), bus: ROSTER_BUS },
      overrides,
      { start: false },
    );
    const h = new RosterHarness(service);
    h.sub = service.bus.subscribe<EventEnvelope>('roster.evt.>', (e) => {
      h.events.push(e);
    });
    await service.bus.flush();
    await service.start();
    return h;
  }

  /** Starts (or restarts) the service on the same database and namespace. */
  start(): Promise<void> {
    return this.service.start();
  }

  /** Stops the service (the database and the streams stay). */
  stop(): Promise<void> {
    return this.service.stop();
  }

  /** Sends a request as the gateway would. */
  request<T>(subject: string, data: unknown): Promise<T> {
    return this.bus.request<T>(subject, data);
  }

  /** Runs SQL on the service's database. */
  sql<T = Record<string, unknown>>(text: string, params: unknown[] = []): Promise<T[]> {
    return this.service.sql<T>(text, params);
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
    this.sub?.unsubscribe();
    await this.service.close();
  }
}
