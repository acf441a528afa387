// Test harness: the janitor app in-process against real NATS + Postgres, a client bus in
// the same namespace, and small fake responders playing the gateway (delete-account,
// server-notice) and the owners (offline and archive sweeps), recording every call.
import 'reflect-metadata';
import type { INestApplication } from '@nestjs/common';
import {
  ArchiveSubjects,
  ArchiveSweptV1,
  DeleteAccountCommandV1,
  DeleteAccountResultV1,
  envelope,
  EventEnvelope,
  GatewayEvents,
  GatewaySubjects,
  GatewaySweepResult,
  JANITOR_EVENTS,
  JanitorEvents,
  OfflineSubjects,
  OfflineSweepResult,
  QueueGroups, UploadSubjects, UploadSweepResult } from '@parley/contracts';
import { Bus, ConsumerHandle } from '@parley/nats';
import { startServiceApp } from '@parley/runtime';
import { ServiceHarness } from '@parley/testing-service';
import type { Subscription } from 'nats';
import { AppModule, JANITOR_BUS } from '../app.module';
import { loadJanitorConfig } from '../config/config';
import { LEASE_BUCKET } from '../domain/housekeeper';

/** One request a fake responder answered. */
export interface Call {
  subject: string;
  data: any;
  at: number;
}

export interface Harness {
  service: ServiceHarness;
  bus: Bus;
  env: Record<string, string>;
  calls: Call[];
  /** Accounts the fake gateway reports online (deletion refused). */
  onlineAtGateway: Set<string>;
  /** What the fake owners answer. */
  sweepReplies: { offline: OfflineSweepResult; archive: ArchiveSweptV1; gateway: GatewaySweepResult; upload: UploadSweepResult };
  /** janitor.evt.sweep-recorded events seen. */
  recorded: EventEnvelope<any>[];
  /** Starts the janitor (when created with `start: false`). */
  start(): Promise<void>;
  /** Another janitor replica on the same database and namespace. */
  startReplica(instanceId: string): Promise<INestApplication>;
  sql<T = any>(text: string, params?: unknown[]): Promise<T[]>;
  close(): Promise<void>;
}

/** Boots the janitor with `overrides` on top of test defaults (and fakes on the bus first). */
export async function startHarness(overrides: Record<string, string> = {}, o: { start?: boolean } = {}): Promise<Harness> {
  process.env.LOG_LEVEL ??= 'warn';
  const module = (env: Record<string, string>) => AppModule.forRoot(loadJanitorConfig(env), env);
  const service = await ServiceHarness.create(
    { name: 'janitor', databaseUrlVar: 'JANITOR_DATABASE_URL', module, bus: JANITOR_BUS },
    { XMPP_DOMAIN: 'localhost', INSTANCE_ID: 'janitor-a', ...overrides },
    { start: false },
  );
  const { bus } = service;
  const calls: Call[] = [];
  const onlineAtGateway = new Set<string>();
  const now = () => new Date().toISOString();
  const sweepReplies = {
    offline: { messagesDeleted: 3, markersDeleted: 1, cutoff: now(), oldestRemaining: '2026-11-20T10:00:00.000Z' },
    archive: { deleted: 2, cutoff: now(), retentionMs: 30 * 86_400_000, oldestRemaining: '2026-11-05T08:00:00.000Z' },
    gateway: { tombstonesDeleted: 4, cutoff: now() },
    upload: { filesDeleted: 4, bytesDeleted: 4096, slotsDeleted: 1, cutoff: now() },
  };
  const record = (subject: string, data: unknown) => calls.push({ subject, data, at: Date.now() });
  const subs: Subscription[] = [
    bus.serve(OfflineSubjects.sweep, (q) => (record(OfflineSubjects.sweep, q), sweepReplies.offline), { queue: QueueGroups.offline }),
    bus.serve(ArchiveSubjects.sweep, (q) => (record(ArchiveSubjects.sweep, q), sweepReplies.archive), { queue: QueueGroups.archive }),
    bus.serve(GatewaySubjects.sweep, (q) => (record(GatewaySubjects.sweep, q), sweepReplies.gateway), { queue: QueueGroups.gateway }),
    bus.serve(OfflineSubjects.stats, () => ({ messages: 7, users: 2 }), { queue: QueueGroups.offline }),
    bus.serve(ArchiveSubjects.stats, () => ({ optedIn: 3, messages: 40 }), { queue: QueueGroups.archive }),
    bus.serve(UploadSubjects.stats, () => ({ files: 6, bytes: 6144, storedToday: 2 }), { queue: QueueGroups.upload }),
    bus.serve(UploadSubjects.sweep, (q) => (record(UploadSubjects.sweep, q), sweepReplies.upload), { queue: QueueGroups.upload }),
    bus.serve<DeleteAccountCommandV1, DeleteAccountResultV1>(
      GatewaySubjects.deleteAccount,
      async (q) => {
        record(GatewaySubjects.deleteAccount, q);
        if (onlineAtGateway.has(q.jid)) return { deleted: false, online: true };
        // As the gateway does: the account goes, and its deletion is published.
        await bus.publishEvent(envelope(GatewayEvents.accountDeleted, { jid: q.jid, reason: q.reason }));
        return { deleted: true };
      },
      { queue: QueueGroups.gateway },
    ),
    bus.serve(GatewaySubjects.serverNotice, (q) => (record(GatewaySubjects.serverNotice, q), { routed: true }), { queue: QueueGroups.gateway }),
  ];
  await bus.flush();
  await bus.ensureStreams(JANITOR_BUS.streams);
  const recorded: EventEnvelope<any>[] = [];
  const observer: ConsumerHandle = await bus.consume({
    stream: JANITOR_EVENTS,
    durable: 'spec-observer',
    filterSubjects: [JanitorEvents.sweepRecorded],
    handler: async (e) => {
      recorded.push(e);
    },
  });
  const replicas: INestApplication[] = [];
  const h: Harness = {
    service,
    bus,
    env: service.env,
    calls,
    onlineAtGateway,
    sweepReplies,
    recorded,
    start: () => service.start(),
    async startReplica(instanceId) {
      const env = { ...service.env, INSTANCE_ID: instanceId };
      const app = await startServiceApp(module(env), { bus: JANITOR_BUS, logs: false });
      replicas.push(app);
      return app;
    },
    sql: (text, params) => service.sql(text, params),
    async close() {
      for (const r of replicas) await r.close().catch(() => undefined);
      await observer.stop();
      for (const s of subs) s.unsubscribe();
      await service.stop(); // hands the lease over first
      await (await bus.kv(LEASE_BUCKET)).destroy().catch(() => undefined);
      await service.close();
    },
  };
  if (o.start !== false) await h.start();
  return h;
}
