// Request/reply (queue group `janitor`): last activity for XEP-0012 and its visibility,
// and the operators' report, error log, statistics, exemptions and sweep-now.
import { Controller, Inject } from '@nestjs/common';
import { MessagePattern, Payload } from '@nestjs/microservices';
import {
  AccountActivityQuery,
  AccountActivityResult,
  DeliveryErrorsQuery,
  DeliveryErrorsResult,
  ERASURE_OWNERS,
  ErasuresQuery,
  ErasuresResult,
  JanitorSubjects,
  LastActivityQuery,
  LastActivityResult,
  RetentionReportQuery,
  RetentionReportResult,
  SetExemptCommand,
  SetExemptResult,
  SetLastActivityVisibilityCommand,
  StatsQuery,
  StatsResult,
  SweepNowResult,
} from '@parley/contracts';
import { PrepareJids, ReplyException } from '@parley/nats';
import { SCHEDULER, Scheduler } from '@parley/runtime';
import { SWEEP_NOW_JOB } from '../domain/housekeeper';
import { JANITOR_STORE, JanitorStore } from '../store/janitor-store';
import type { RetentionReportEntry } from '@parley/contracts';

/** An optional positive integer, at most `max`, defaulting to `dflt`; `bad-request` otherwise. */
function limit(v: unknown, dflt: number, max: number, name = 'limit'): number {
  if (v === undefined || v === null) return dflt;
  if (typeof v !== 'number' || !Number.isInteger(v) || v < 1) throw ReplyException.of('bad-request', `${name} must be a positive integer`);
  return Math.min(v, max);
}

function flag(v: unknown, name: string): boolean {
  if (typeof v !== 'boolean') throw ReplyException.of('bad-request', `${name} must be true or false`);
  return v;
}

@Controller()
export class QueriesHandler {
  constructor(
    @Inject(JANITOR_STORE) private readonly store: JanitorStore,
    @Inject(SCHEDULER) private readonly scheduler: Scheduler,
  ) {}

  @MessagePattern(JanitorSubjects.lastActivity)
  async lastActivity(@Payload(new PrepareJids({ jid: 'account' })) q: LastActivityQuery): Promise<LastActivityResult> {
    const row = await this.store.activity(q.jid);
    if (!row) return { online: false, hidden: false };
    const r: LastActivityResult = { online: row.openSessions > 0, hidden: row.hidden };
    if (row.lastLogoutAt) r.lastLogoutAt = row.lastLogoutAt.toISOString();
    return r;
  }

  /** Everything the janitor keeps about the account (its one row), for the user's data export. */
  @MessagePattern(JanitorSubjects.accountActivity)
  async accountActivity(@Payload(new PrepareJids({ jid: 'account' })) q: AccountActivityQuery): Promise<AccountActivityResult> {
    const row = await this.store.activity(q.jid);
    if (!row) return { known: false };
    const r: AccountActivityResult = { known: true, createdAt: row.createdAt.toISOString(), lastUsedAt: row.lastUsedAt.toISOString(), exempt: row.exempt, hidden: row.hidden };
    if (row.lastLogoutAt) r.lastLogoutAt = row.lastLogoutAt.toISOString();
    if (row.noticeSentAt) r.noticeSentAt = row.noticeSentAt.toISOString();
    return r;
  }

  @MessagePattern(JanitorSubjects.setLastActivityVisibility)
  async setVisibility(@Payload(new PrepareJids({ jid: 'account' })) c: SetLastActivityVisibilityCommand): Promise<{ hidden: boolean }> {
    const hidden = flag(c.hidden, 'hidden');
    await this.store.setHidden(c.jid, hidden, new Date());
    return { hidden };
  }

  @MessagePattern(JanitorSubjects.setExempt)
  async setExempt(@Payload(new PrepareJids({ jid: 'account' })) c: SetExemptCommand): Promise<SetExemptResult> {
    const exempt = flag(c.exempt, 'exempt');
    if (!(await this.store.setExempt(c.jid, exempt))) throw ReplyException.of('item-not-found', 'the janitor has not seen this account (registered or logged in) yet');
    return { exempt };
  }

  @MessagePattern(JanitorSubjects.erasures)
  async erasures(@Payload() q: ErasuresQuery): Promise<ErasuresResult> {
    if (q.pending !== undefined && typeof q.pending !== 'boolean') throw ReplyException.of('bad-request', 'pending must be a boolean');
    const owners = [...ERASURE_OWNERS];
    return { entries: await this.store.erasures({ pending: q.pending === true, limit: limit(q.limit, 50, 1000), owners }), owners };
  }

  @MessagePattern(JanitorSubjects.report)
  report(@Payload() q: RetentionReportQuery): Promise<RetentionReportResult> {
    return this.store.report(limit(q.limit, 50, 1000));
  }

  @MessagePattern(JanitorSubjects.errors)
  errors(@Payload(new PrepareJids({ jid: 'bare?' })) q: DeliveryErrorsQuery): Promise<DeliveryErrorsResult> {
    let since: Date | undefined;
    if (q.since !== undefined) {
      const t = typeof q.since === 'string' ? Date.parse(q.since) : NaN;
      if (Number.isNaN(t)) throw ReplyException.of('bad-request', 'since must be an ISO-8601 time');
      since = new Date(t);
    }
    return this.store.queryFailures({ jid: q.jid, since, limit: limit(q.limit, 100, 1000) });
  }

  @MessagePattern(JanitorSubjects.stats)
  async stats(@Payload() q: StatsQuery): Promise<StatsResult> {
    return { days: await this.store.stats(limit(q.days, 30, 3650, 'days'), new Date()) };
  }

  /** Every owner's sweep now, on this replica (joining one it is running), recorded like the scheduled ones. */
  @MessagePattern(JanitorSubjects.sweepNow)
  async sweepNow(): Promise<SweepNowResult> {
    return { entries: await this.scheduler.run<RetentionReportEntry[]>(SWEEP_NOW_JOB) };
  }
}
