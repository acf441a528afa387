// The upload service's bus handlers: slot requests (gateways), the retention sweep
// (janitor) and account deletions (gateway events).
import { Controller, Inject } from '@nestjs/common';
import { EventPattern, MessagePattern, Payload } from '@nestjs/microservices';
import { accountErased, AccountDeletedV1, Durables, EventEnvelope, GATEWAY_EVENTS, GatewayEvents, UploadFilesQuery, UploadFilesResult, UploadFileV1, UploadSlotReplyV1, UploadSlotRequestV1, UploadStatsResult, UploadSubjects, UploadSweepResult } from '@parley/contracts';
import { Bus, BusEventOptions, PrepareJids, ReplyException } from '@parley/nats';
import { LOGGER, Logger, SCHEDULER, Scheduler } from '@parley/runtime';
import { filePath, Slots } from '../domain/slots';
import { PublicUrl } from '../http/public-url';
import { UploadStore } from '../store/upload-store';
import { Sweeper, UPLOAD_RETENTION_JOB } from '../domain/sweeper';

@Controller()
export class SlotHandler {
  constructor(private readonly slots: Slots) {}

  @MessagePattern(UploadSubjects.requestSlot)
  handle(@Payload() q: UploadSlotRequestV1): Promise<UploadSlotReplyV1> {
    return this.slots.request(q);
  }
}

/** upload.qry.files: a user's stored files for the data export (`ctl export`), a page at a time. */
@Controller()
export class FilesHandler {
  constructor(
    private readonly store: UploadStore,
    private readonly url: PublicUrl,
  ) {}

  @MessagePattern(UploadSubjects.files)
  async handle(@Payload(new PrepareJids({ user: 'account' })) q: UploadFilesQuery): Promise<UploadFilesResult> {
    const limit = q.limit === undefined ? 500 : q.limit;
    if (!Number.isInteger(limit) || limit < 1) throw ReplyException.of('bad-request', 'limit must be a positive integer');
    if (q.after !== undefined && (typeof q.after !== 'string' || !/^[A-Za-z0-9_-]{43}$/.test(q.after))) throw ReplyException.of('bad-request', 'after must be the next of a previous page');
    const rows = await this.store.storedOf(q.user, q.after, Math.min(limit, 1000));
    const base = this.url.base();
    const files: UploadFileV1[] = rows.map((r) => ({
      name: r.filename,
      size: r.size,
      contentType: r.contentType,
      purpose: r.purpose as UploadFileV1['purpose'],
      uploadedAt: r.storedAt!.toISOString(),
      expiresAt: r.expiresAt!.toISOString(),
      url: `${base}${filePath(r.id, r.filename)}`,
    }));
    const last = rows[rows.length - 1];
    return rows.length === Math.min(limit, 1000) && last ? { files, next: last.id } : { files };
  }
}

@Controller()
export class StatsHandler {
  constructor(private readonly store: UploadStore) {}

  /** Totals for the janitor's daily statistics (counts only). */
  @MessagePattern(UploadSubjects.stats)
  handle(): Promise<UploadStatsResult> {
    return this.store.totals(new Date(`${new Date().toISOString().slice(0, 10)}T00:00:00.000Z`));
  }
}

@Controller()
export class SweepHandler {
  constructor(@Inject(SCHEDULER) private readonly scheduler: Scheduler) {}

  @MessagePattern(UploadSubjects.sweep)
  handle(): Promise<UploadSweepResult> {
    return this.scheduler.run<UploadSweepResult>(UPLOAD_RETENTION_JOB);
  }
}

/**
 * gateway.evt.account-deleted (durable `upload-account-deleted`): the user's files and rows
 * go, then the erasure is confirmed on `erasure.evt.upload` (counts only). Idempotent.
 */
@Controller()
export class AccountDeletedHandler {
  constructor(
    private readonly sweeper: Sweeper,
    private readonly bus: Bus,
    @Inject(LOGGER) private readonly log: Logger,
  ) {}

  // Retried until it succeeds (maxDeliver -1); the pipe prepares the JID (an event without an account JID is terminated).
  @EventPattern(GatewayEvents.accountDeleted, { stream: GATEWAY_EVENTS, durable: Durables.uploadAccountDeleted, maxDeliver: -1 } satisfies BusEventOptions)
  async handle(@Payload(new PrepareJids({ 'data.jid': 'account' })) e: EventEnvelope<AccountDeletedV1>): Promise<void> {
    const deleted = await this.sweeper.eraseUser(e.data.jid);
    this.log.info({ eventId: e.id, deleted }, 'uploads of a deleted account erased');
    // Confirmed once erased; a failed publish retries the (idempotent) erasure and this.
    await this.bus.publishEvent(accountErased('upload', e, { files: deleted }));
  }
}
