// The janitor's pass, every JANITOR_SWEEP_INTERVAL on the replica that holds the lease:
// every owner's retention sweep (recorded in the retention report), the janitor's own
// retention, gone gateway instances, inactivity notices and deletions, and the day's
// statistics snapshot.
import { JANITOR_LEASE_BUCKET } from '@parley/contracts';
import { Inject, Injectable, OnApplicationBootstrap, OnModuleDestroy } from '@nestjs/common';
import {
  ArchiveStatsResult,
  ArchiveSubjects,
  ArchiveSweptV1,
  DeleteAccountCommandV1,
  DeleteAccountResultV1,
  envelope,
  GatewaySubjects,
  GatewaySweepResult,
  JanitorEvents,
  OfflineStatsResult,
  UploadStatsResult,
  OfflineSubjects,
  OfflineSweepResult,
  RetentionReportEntry,
  RetentionSweptV1,
  ServerNoticeCommandV1,
  UploadSubjects,
  UploadSweepResult,
} from '@parley/contracts';
import { Bus, BusUnavailableError } from '@parley/nats';
import { LOGGER, Logger, SCHEDULER, Scheduler } from '@parley/runtime';
import type { JanitorConfig } from '../config/config';
import { JANITOR_STORE, JanitorStore } from '../store/janitor-store';
import { JANITOR_CONFIG } from '../tokens';
import { GatewayInstances } from './instances';
import { Lease } from './lease';
import { JanitorMetrics } from './metrics';

/** Name of the KV bucket and key of the lease. */
export const LEASE_BUCKET = JANITOR_LEASE_BUCKET;
export const LEASE_KEY = 'sweeps';
/** The scheduler's job names. */
export const PASS_JOB = 'janitor-pass';
export const SWEEP_NOW_JOB = 'janitor-sweep-now';

/** Handled gateway-event ids are kept past the GATEWAY_EVENTS max age (a redelivery can come no later). */
const HANDLED_EVENT_KEEP_MS = 2 * 24 * 3600 * 1000;

type Entry = Omit<RetentionReportEntry, 'at'>;

/** An owner of retained data and how to read its sweep's answer. */
interface Owner {
  owner: string;
  subject: string;
  entries(reply: unknown): Entry[] | undefined;
}

const count = (v: unknown): v is number => typeof v === 'number' && Number.isInteger(v) && v >= 0;
const isoOrUndefined = (v: unknown): string | undefined => (typeof v === 'string' && !Number.isNaN(Date.parse(v)) ? new Date(v).toISOString() : undefined);

/** The owners the janitor drives (each answers `<owner>.cmd.sweep` with counts). */
export const OWNERS: Owner[] = [
  {
    owner: 'offline',
    subject: OfflineSubjects.sweep,
    entries: (r) => {
      const o = r as OfflineSweepResult;
      if (!count(o?.messagesDeleted) || !count(o.markersDeleted)) return undefined;
      return [
        { owner: 'offline', what: 'messages', deleted: o.messagesDeleted, cutoff: isoOrUndefined(o.cutoff), oldestRemaining: isoOrUndefined(o.oldestRemaining) },
        { owner: 'offline', what: 'markers', deleted: o.markersDeleted },
      ];
    },
  },
  {
    owner: 'archive',
    subject: ArchiveSubjects.sweep,
    entries: (r) => {
      const o = r as ArchiveSweptV1;
      if (!count(o?.deleted)) return undefined;
      return [{ owner: 'archive', what: 'messages', deleted: o.deleted, cutoff: isoOrUndefined(o.cutoff), oldestRemaining: isoOrUndefined(o.oldestRemaining) }];
    },
  },
  {
    owner: 'gateway',
    subject: GatewaySubjects.sweep,
    entries: (r) => {
      const o = r as GatewaySweepResult;
      if (!count(o?.tombstonesDeleted)) return undefined;
      return [{ owner: 'gateway', what: 'username-tombstones', deleted: o.tombstonesDeleted, cutoff: isoOrUndefined(o.cutoff), oldestRemaining: isoOrUndefined(o.oldestRemaining) }];
    },
  },
  {
    owner: 'upload',
    subject: UploadSubjects.sweep,
    entries: (r) => {
      const o = r as UploadSweepResult;
      if (!count(o?.filesDeleted) || !count(o.slotsDeleted)) return undefined;
      return [
        { owner: 'upload', what: 'files', deleted: o.filesDeleted, cutoff: isoOrUndefined(o.cutoff) },
        { owner: 'upload', what: 'slots', deleted: o.slotsDeleted },
      ];
    },
  },
];

@Injectable()
export class Housekeeper implements OnApplicationBootstrap, OnModuleDestroy {
  private lease?: Lease;
  readonly instanceId: string;

  constructor(
    private readonly bus: Bus,
    @Inject(JANITOR_STORE) private readonly store: JanitorStore,
    @Inject(JANITOR_CONFIG) private readonly config: JanitorConfig,
    @Inject(LOGGER) private readonly log: Logger,
    @Inject(SCHEDULER) private readonly scheduler: Scheduler,
    private readonly metrics: JanitorMetrics,
    private readonly instances: GatewayInstances,
  ) {
    this.instanceId = config.INSTANCE_ID || `janitor-${process.pid}-${Math.random().toString(36).slice(2, 8)}`;
  }

  async onApplicationBootstrap(): Promise<void> {
    const interval = this.config.JANITOR_SWEEP_INTERVAL;
    const kv = await this.bus.kv(LEASE_BUCKET, { ttlMs: 2 * interval });
    this.lease = new Lease(kv, LEASE_KEY, this.instanceId, interval);
    this.scheduler.every(PASS_JOB, interval, () => this.tick());
    this.scheduler.onDemand(SWEEP_NOW_JOB, () => this.sweepOwners(new Date()));
  }

  /** Before the bus closes: let a pass in progress finish, then hand the lease over. */
  async onModuleDestroy(): Promise<void> {
    await this.scheduler.stop();
    await this.lease?.release().catch((err) => this.log.warn({ err }, 'lease not released; it expires on its own'));
    this.metrics.leader.set(0);
  }

  /** One timer tick: the pass runs only on the lease holder. */
  async tick(): Promise<boolean> {
    const now = new Date();
    let leads = false;
    try {
      leads = (await this.lease?.acquire(now)) ?? false;
    } catch (err) {
      this.log.warn({ err }, 'lease not reachable; no pass this interval');
    }
    this.metrics.leader.set(leads ? 1 : 0);
    if (!leads) return false;
    await this.pass(now);
    return true;
  }

  /** Everything the leader does once per interval; each part's failure is logged and does not stop the others. */
  async pass(now: Date): Promise<void> {
    await this.sweepOwners(now);
    for (const [name, part] of [
      ['instances', () => this.dropGoneInstances(now)],
      ['inactivity', () => this.inactivity(now)],
      ['statistics', () => this.snapshot(now)],
    ] as const) {
      try {
        await part();
      } catch (err) {
        this.log.error({ err, part: name }, 'janitor pass part failed');
      }
    }
  }

  /** Every owner's sweep and the janitor's own, each recorded in the retention report; returns the entries. */
  async sweepOwners(now: Date): Promise<RetentionReportEntry[]> {
    const out: RetentionReportEntry[] = [];
    for (const o of OWNERS) {
      let entries: Entry[];
      try {
        const reply = await this.bus.request<unknown>(o.subject, {}, { timeoutMs: this.config.JANITOR_SWEEP_TIMEOUT });
        const e = o.entries(reply);
        entries = e ?? [{ owner: o.owner, what: 'all', deleted: 0, error: 'malformed reply' }];
      } catch (err) {
        const why = err instanceof BusUnavailableError ? `unavailable (${err.reason})` : 'failed';
        this.log.warn({ owner: o.owner, err: (err as Error).message }, 'owner sweep did not run');
        entries = [{ owner: o.owner, what: 'all', deleted: 0, error: why }];
      }
      out.push(...(await this.record(o.owner, entries)));
    }
    out.push(...(await this.record('janitor', await this.ownRetention(now))));
    return out;
  }

  /** The janitor's own data past its retention. */
  private async ownRetention(now: Date): Promise<Entry[]> {
    const t = now.getTime();
    const logCutoff = new Date(t - this.config.DELIVERY_LOG_RETENTION);
    const entries: Entry[] = [];
    const parts: Array<[string, () => Promise<number>, Date]> = [
      ['delivery-log', () => this.store.sweepFailures(logCutoff), logCutoff],
      ['retention-report', () => this.store.sweepReports(new Date(t - this.config.JANITOR_REPORT_RETENTION)), new Date(t - this.config.JANITOR_REPORT_RETENTION)],
      ['erasure-records', () => this.store.sweepErasures(new Date(t - this.config.JANITOR_REPORT_RETENTION)), new Date(t - this.config.JANITOR_REPORT_RETENTION)],
      ['statistics', () => this.store.sweepStats(new Date(t - this.config.JANITOR_STATS_RETENTION)), new Date(t - this.config.JANITOR_STATS_RETENTION)],
      ['handled-events', () => this.store.sweepHandled(new Date(t - HANDLED_EVENT_KEEP_MS)), new Date(t - HANDLED_EVENT_KEEP_MS)],
    ];
    for (const [what, run, cutoff] of parts) {
      try {
        entries.push({ owner: 'janitor', what, deleted: await run(), cutoff: cutoff.toISOString() });
      } catch (err) {
        this.log.error({ err, what }, 'janitor retention failed');
        entries.push({ owner: 'janitor', what, deleted: 0, error: 'failed' });
      }
    }
    return entries;
  }

  private async record(owner: string, entries: Entry[]): Promise<RetentionReportEntry[]> {
    const at = new Date();
    const ok = entries.every((e) => !e.error);
    const deleted = Object.fromEntries(entries.map((e) => [e.what, e.deleted]));
    // The report rows and their sweep-recorded event (counts only) commit together; the outbox relay publishes it.
    const event = ok ? envelope(JanitorEvents.sweepRecorded, { owner, deleted, at: at.toISOString() } satisfies RetentionSweptV1) : undefined;
    await this.store.recordSweeps(
      entries.map((e) => ({ ...e, at })),
      event,
    );
    const out: RetentionReportEntry[] = entries.map((e) => ({ ...e, at: at.toISOString() }));
    for (const e of entries) {
      if (e.error) this.metrics.sweepFailures.inc({ owner });
      else this.metrics.swept.inc({ owner, what: e.what }, e.deleted);
    }
    if (ok) {
      this.metrics.lastSweep.set({ owner }, at.getTime() / 1000);
      this.log.info({ owner, deleted }, 'sweep recorded');
    }
    return out;
  }

  private async dropGoneInstances(now: Date): Promise<void> {
    for (const instance of this.instances.gone(await this.store.instancesWithSessions(), now.getTime())) {
      const n = await this.store.dropInstance(instance, now);
      this.log.warn({ instance, sessions: n }, 'gateway instance silent: its sessions no longer count as open');
    }
  }

  /** Notices, then deletion requests, for accounts unused for ACCOUNT_INACTIVITY (bounded per pass). */
  async inactivity(now: Date): Promise<void> {
    const t = now.getTime();
    const inactivity = this.config.ACCOUNT_INACTIVITY;
    const notice = this.config.ACCOUNT_INACTIVITY_NOTICE;
    const batch = this.config.JANITOR_INACTIVITY_BATCH;
    if (notice !== undefined) {
      for (const jid of await this.store.noticeCandidates(new Date(t - (inactivity - notice)), batch)) {
        if (!(await this.store.claimNotice(jid, now))) continue;
        const cmd: ServerNoticeCommandV1 = {
          to: jid,
          subject: 'Your account will be deleted',
          body:
            `This account has not been used for a long time. Following this server's privacy policy it will be deleted ` +
            `on or after ${new Date(t + notice).toISOString().slice(0, 10)} unless you log in before then.`,
        };
        try {
          await this.bus.request(GatewaySubjects.serverNotice, cmd);
          this.metrics.notices.inc({ outcome: 'sent' });
        } catch (err) {
          await this.store.releaseNotice(jid);
          this.metrics.notices.inc({ outcome: 'failed' });
          this.log.warn({ err: (err as Error).message }, 'inactivity notice not sent; retried next pass');
          if (err instanceof BusUnavailableError) break;
        }
      }
    }
    const candidates = await this.store.deletionCandidates(new Date(t - inactivity), notice === undefined ? undefined : new Date(t - notice), batch);
    for (const jid of candidates) {
      const cmd: DeleteAccountCommandV1 = { jid, reason: 'inactivity' };
      try {
        const r = await this.bus.request<DeleteAccountResultV1>(GatewaySubjects.deleteAccount, cmd);
        if (r.deleted) this.metrics.deletionRequests.inc({ outcome: 'deleted' }); // its account-deleted event removes the row
        else if (r.online) {
          await this.store.markUsed(jid, now);
          this.metrics.deletionRequests.inc({ outcome: 'online' });
        } else {
          await this.store.forget(jid);
          this.metrics.deletionRequests.inc({ outcome: 'unknown' });
        }
      } catch (err) {
        this.metrics.deletionRequests.inc({ outcome: 'failed' });
        this.log.warn({ err: (err as Error).message }, 'inactivity deletion not done; retried next pass');
        if (err instanceof BusUnavailableError) break;
      }
    }
    if (candidates.length) this.log.info({ candidates: candidates.length }, 'inactivity pass');
  }

  async snapshot(now: Date): Promise<void> {
    const c = await this.store.snapshotStats(now);
    this.metrics.accounts.set({ state: 'registered' }, c.registered);
    this.metrics.accounts.set({ state: 'active_today' }, c.active);
    this.metrics.accounts.set({ state: 'exempt' }, c.exempt);
    // The owners' totals (counts only): an owner that does not answer is left out today.
    const totals: Record<string, number> = {};
    const ask = async <T>(subject: string, read: (r: T) => Record<string, number>) => {
      try {
        const r = await this.bus.request<T>(subject, {}, { timeoutMs: this.config.JANITOR_SWEEP_TIMEOUT });
        for (const [k, v] of Object.entries(read(r))) if (count(v)) totals[k] = v;
      } catch (err) {
        this.log.warn({ subject, err: (err as Error).message }, 'owner totals not available');
      }
    };
    await ask<OfflineStatsResult>(OfflineSubjects.stats, (r) => ({ 'offline.held': r?.messages, 'offline.users': r?.users }));
    await ask<ArchiveStatsResult>(ArchiveSubjects.stats, (r) => ({ 'archive.opted-in': r?.optedIn, 'archive.held': r?.messages }));
    await ask<UploadStatsResult>(UploadSubjects.stats, (r) => ({ 'uploads.held': r?.files, 'uploads.bytes': r?.bytes, 'uploads.stored': r?.storedToday }));
    await this.store.setDailyTotals(now, totals);
    for (const [k, v] of Object.entries(totals)) this.metrics.ownerTotals.set({ what: k }, v);
  }
}
