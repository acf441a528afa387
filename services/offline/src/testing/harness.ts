// Test harness: the offline app in-process against real NATS + Postgres, and a client
// bus in the same namespace that plays the gateway.
import 'reflect-metadata';
import { INestApplicationContext } from '@nestjs/common';
import {
  EventEnvelope,
  OFFLINE_EVENTS,
  OfflineStoreV1,
  OfflineSubjects,
  envelope,
} from '@parley/contracts';
import { Bus, ConsumerHandle } from '@parley/nats';
import { ServiceHarness } from '@parley/testing-service';
import type { TestDatabase } from '@parley/testing-stack';
import { randomUUID } from 'node:crypto';
import { AppModule, offlineBus } from '../app.module';
import { loadOfflineConfig } from '../config/config';

/** A running offline service plus what a test needs to talk to it. */
export interface Harness {
  env: Record<string, string>;
  bus: Bus;
  db: TestDatabase;
  app: INestApplicationContext;
  /** Starts a fresh app instance on the same database and namespace (after `stopApp`). */
  startApp(): Promise<void>;
  stopApp(): Promise<void>;
  /** Events seen on OFFLINE_EVENTS since the harness started. */
  events: EventEnvelope<any>[];
  sql<T = any>(text: string, params?: unknown[]): Promise<T[]>;
  close(): Promise<void>;
}

/** Boots the app with `overrides` on top of test defaults. */
export async function startHarness(overrides: Record<string, string> = {}): Promise<Harness> {
  process.env.LOG_LEVEL ??= 'warn';
  const service = await ServiceHarness.create(
    { name: 'offline', databaseUrlVar: 'OFFLINE_DATABASE_URL', module: (env) => AppModule.forRoot(loadOfflineConfig(env), env), bus: offlineBus({ OFFLINE_STORE_BATCH: 100, OFFLINE_STORE_CONCURRENCY: 2 }) },
    { XMPP_DOMAIN: 'localhost', ...overrides },
  );
  const events: EventEnvelope<any>[] = [];
  const observer: ConsumerHandle = await service.bus.consume({
    stream: OFFLINE_EVENTS,
    durable: 'spec-observer',
    filterSubjects: ['offline.evt.>'],
    handler: async (e) => {
      events.push(e);
    },
  });
  const h: Harness = {
    env: service.env,
    bus: service.bus,
    db: service.db,
    get app() {
      return service.app as INestApplicationContext;
    },
    events,
    startApp: () => service.start(),
    stopApp: () => service.stop(),
    sql: (text, params) => service.sql(text, params),
    async close() {
      await observer.stop();
      await service.close();
    },
  };
  return h;
}

/** A chat stanza as the gateway would serialise it. */
export function chatStanza(o: { from: string; to: string; id?: string; body: string; type?: string; extra?: string }): string {
  const type = o.type ?? 'chat';
  const id = o.id ? ` id='${o.id}'` : '';
  return `<message xmlns='jabber:client' from='${o.from}' to='${o.to}' type='${type}'${id}><body>${o.body}</body>${o.extra ?? ''}</message>`;
}

/** Hands a message to offline storage as the gateway does; returns the envelope id. */
export async function handOff(
  bus: Bus,
  o: { from: string; to: string; body: string; stanzaId?: string; type?: OfflineStoreV1['type']; noStore?: boolean; chatStateOnly?: boolean; arrivedAt?: Date; id?: string; extra?: string },
): Promise<string> {
  const type = o.type ?? 'chat';
  const data: OfflineStoreV1 = {
    to: o.to,
    from: o.from,
    type,
    stanzaId: o.stanzaId,
    noStore: o.noStore ?? false,
    chatStateOnly: o.chatStateOnly,
    arrivedAt: (o.arrivedAt ?? new Date()).toISOString(),
    stanza: chatStanza({ from: o.from, to: o.to, id: o.stanzaId, body: o.body, type, extra: o.extra }),
  };
  const e = envelope(OfflineSubjects.store, data, { id: o.id ?? randomUUID() });
  await bus.publishEvent(e);
  return e.id;
}
