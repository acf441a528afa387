// Test harness: the archive app in-process against real NATS + Postgres, and a client
// bus in the same namespace that plays the gateway.
import 'reflect-metadata';
import { INestApplicationContext } from '@nestjs/common';
import {
  ARCHIVE_EVENTS,
  ARCHIVE_INBOX,
  ARCHIVE_PREFS,
  ArchiveEvents,
  ArchivePrefsChangedV1,
  ArchiveStoreV1,
  ArchiveSubjects,
  EventEnvelope,
  envelope,
} from '@parley/contracts';
import { Bus, ConsumerHandle } from '@parley/nats';
import { ServiceHarness } from '@parley/testing-service';
import { TestDatabase, waitFor } from '@parley/testing-stack';
import { randomUUID } from 'node:crypto';
import { AppModule, ARCHIVE_STREAMS, archiveBus } from '../app.module';
import { loadArchiveConfig } from '../config/config';

/** A prefs-changed event with the subject it arrived on. */
export interface SeenPrefs {
  subject: string;
  event: EventEnvelope<ArchivePrefsChangedV1>;
}

/** A running archive service plus what a test needs to talk to it. */
export interface Harness {
  env: Record<string, string>;
  bus: Bus;
  db: TestDatabase;
  app: INestApplicationContext;
  /** Events seen on ARCHIVE_EVENTS since the harness started. */
  events: EventEnvelope<any>[];
  /** prefs-changed events seen on ARCHIVE_PREFS since the harness started. */
  prefsEvents: SeenPrefs[];
  sql<T = any>(text: string, params?: unknown[]): Promise<T[]>;
  /** Resolves once every store command published so far was handled (the work queue is empty). */
  drained(): Promise<void>;
  /** Reads ARCHIVE_PREFS from the start with a fresh consumer, as a new gateway would. */
  replayPrefs(): Promise<SeenPrefs[]>;
  close(): Promise<void>;
}

let replays = 0;

/** Boots the app with `overrides` on top of test defaults. */
export async function startHarness(overrides: Record<string, string> = {}): Promise<Harness> {
  process.env.LOG_LEVEL ??= 'warn';
  const service = await ServiceHarness.create(
    { name: 'archive', databaseUrlVar: 'ARCHIVE_DATABASE_URL', module: (env) => AppModule.forRoot(loadArchiveConfig(env), env), bus: archiveBus(loadArchiveConfig({ ...overrides })), cleanupStreams: ARCHIVE_STREAMS },
    { XMPP_DOMAIN: 'localhost', ...overrides },
  );
  const { bus, env, db } = service;
  const app = service.app as INestApplicationContext;
  const events: EventEnvelope<any>[] = [];
  const prefsEvents: SeenPrefs[] = [];
  const observers: ConsumerHandle[] = [
    await bus.consume({
      stream: ARCHIVE_EVENTS,
      durable: 'spec-observer',
      filterSubjects: ARCHIVE_EVENTS.subjects,
      handler: async (e) => {
        events.push(e);
      },
    }),
    await bus.consume<ArchivePrefsChangedV1>({
      stream: ARCHIVE_PREFS,
      durable: 'spec-prefs-observer',
      filterSubjects: [ArchiveEvents.prefsChangedAll],
      handler: async (event, msg) => {
        prefsEvents.push({ subject: msg.subject, event });
      },
    }),
  ];
  return {
    env,
    bus,
    db,
    app,
    events,
    prefsEvents,
    sql: (text, params) => service.sql(text, params),
    async drained() {
      await waitFor(async () => (await bus.streamState(ARCHIVE_INBOX)).messages === 0, { what: 'ARCHIVE_INBOX drained' });
    },
    async replayPrefs() {
      const expected = (await bus.streamState(ARCHIVE_PREFS)).messages;
      const seen: SeenPrefs[] = [];
      const durable = `spec-replay-${++replays}`;
      const c = await bus.consume<ArchivePrefsChangedV1>({
        stream: ARCHIVE_PREFS,
        durable,
        filterSubjects: [ArchiveEvents.prefsChangedAll],
        handler: async (event, msg) => {
          seen.push({ subject: msg.subject, event });
        },
      });
      await waitFor(() => seen.length >= expected, { what: `${expected} replayed prefs` });
      await c.stop();
      await bus.deleteConsumer(ARCHIVE_PREFS, durable);
      return seen;
    },
    async close() {
      for (const o of observers) await o.stop();
      await service.close();
    },
  };
}

/** A message stanza as the gateway would serialise it. */
export function messageStanza(o: { from: string; to: string; id?: string; body?: string; type?: string }): string {
  const type = o.type ? ` type='${o.type}'` : '';
  const id = o.id ? ` id='${o.id}'` : '';
  const body = o.body === undefined ? '' : `<body>${o.body}</body>`;
  return `<message xmlns='jabber:client' from='${o.from}' to='${o.to}'${type}${id}>${body}</message>`;
}

/** What a test says about one message to archive. */
export interface StoreSpec {
  owner: string;
  /** Peer full JID (from of an incoming / to of an outgoing message). */
  peer: string;
  direction?: 'in' | 'out';
  body?: string;
  type?: ArchiveStoreV1['type'];
  inRoster?: boolean;
  timestamp?: Date;
  stanzaId?: string;
}

/** Publishes archive.cmd.store as the gateway does; returns the stanza-id. */
export async function storeMessage(bus: Bus, s: StoreSpec): Promise<string> {
  const direction = s.direction ?? 'in';
  const stanzaId = s.stanzaId ?? randomUUID();
  const ownerFull = `${s.owner}/home`;
  const from = direction === 'in' ? s.peer : ownerFull;
  const to = direction === 'in' ? ownerFull : s.peer;
  const type = s.type ?? 'chat';
  const data: ArchiveStoreV1 = {
    owner: s.owner,
    with: s.peer.split('/')[0],
    direction,
    stanzaId,
    timestamp: (s.timestamp ?? new Date()).toISOString(),
    stanza: messageStanza({ from, to, type, body: s.body === '' ? undefined : (s.body ?? 'hello'), id: `m-${stanzaId}` }),
    type,
    hasBody: s.body !== '',
    inRoster: s.inRoster ?? true,
    fromFullJid: from,
    toJid: to,
  };
  await bus.publishEvent(envelope(ArchiveSubjects.store, data));
  return stanzaId;
}
