// Test harness: the offline app in-process against real NATS + Postgres, and a client
// bus in the same namespace that plays the gateway.
import 'reflect-metadata';
import { INestApplicationContext } from '@nestjs/common';
import {
  EventEnvelope,
  OFFLINE_EVENTS,
  OfflineHandOffV2,
  OfflineStoreV1,
  OfflineStoreV2,
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

/** What a test hands off: one message. */
export interface HandOffSpec {
  from: string;
  to: string;
  body: string;
  stanzaId?: string;
  type?: OfflineStoreV1['type'];
  noStore?: boolean;
  chatStateOnly?: boolean;
  arrivedAt?: Date;
  id?: string;
  extra?: string;
}

/** Hands one message to offline storage in a version 1 envelope (as gateways before version 2 did); returns the envelope id. */
export async function handOff(bus: Bus, o: HandOffSpec): Promise<string> {
  const e = envelope(OfflineSubjects.store, storeData(o), { id: o.id ?? randomUUID() });
  await bus.publishEvent(e);
  return e.id;
}

/** Hands several messages to offline storage in one version 2 envelope, as a gateway does; returns the hand-off ids and the envelope. */
export async function handOffs(bus: Bus, list: HandOffSpec[], o: { dedupe?: boolean; envelopeId?: string } = {}): Promise<{ ids: string[]; envelope: EventEnvelope<OfflineStoreV2> }> {
  const handOffs = list.map((spec): OfflineHandOffV2 => ({ ...storeData(spec), id: spec.id ?? randomUUID() }));
  const e = envelope<OfflineStoreV2>(OfflineSubjects.store, { handOffs }, { version: 2, id: o.envelopeId });
  await bus.publishEvent(e, OfflineSubjects.store, { dedupe: o.dedupe });
  return { ids: handOffs.map((x) => x.id), envelope: e };
}

function storeData(o: HandOffSpec): OfflineStoreV1 {
  const type = o.type ?? 'chat';
  return {
    to: o.to,
    from: o.from,
    type,
    stanzaId: o.stanzaId,
    noStore: o.noStore ?? false,
    chatStateOnly: o.chatStateOnly,
    arrivedAt: (o.arrivedAt ?? new Date()).toISOString(),
    stanza: chatStanza({ from: o.from, to: o.to, id: o.stanzaId, body: o.body, type, extra: o.extra }),
  };
}
