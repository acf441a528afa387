// The upload service's bus handlers: slot requests (gateways), the retention sweep
// (janitor) and account deletions (gateway events).
import { Controller, Inject } from '@nestjs/common';
import { EventPattern, MessagePattern, Payload } from '@nestjs/microservices';
import { accountErased, AccountDeletedV1, Durables, EventEnvelope, GATEWAY_EVENTS, GatewayEvents, UploadSlotReplyV1, UploadSlotRequestV1, UploadSubjects, UploadSweepResult } from '@parley/contracts';
import { Bus, BusEventOptions, PrepareJids } from '@parley/nats';
import { LOGGER, Logger, SCHEDULER, Scheduler } from '@parley/runtime';
import { Slots } from '../domain/slots';
import { Sweeper, UPLOAD_RETENTION_JOB } from '../domain/sweeper';

@Controller()
export class SlotHandler {
  constructor(private readonly slots: Slots) {}

  @MessagePattern(UploadSubjects.requestSlot)
  handle(@Payload() q: UploadSlotRequestV1): Promise<UploadSlotReplyV1> {
    return this.slots.request(q);
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
