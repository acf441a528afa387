// The upload service's bus handlers: slot requests (gateways), the retention sweep
// (janitor) and account deletions (gateway events).
import { Controller, Inject } from '@nestjs/common';
import { EventPattern, MessagePattern, Payload } from '@nestjs/microservices';
import { AccountDeletedV1, Durables, EventEnvelope, GATEWAY_EVENTS, GatewayEvents, UploadSlotReplyV1, UploadSlotRequestV1, UploadSubjects, UploadSweepResult } from '@parley/contracts';
import { BusEventOptions, TerminalError } from '@parley/nats';
import { LOGGER, Logger, SCHEDULER, Scheduler } from '@parley/runtime';
import { Slots } from '../domain/slots';
import { Sweeper, UPLOAD_RETENTION_JOB } from '../domain/sweeper';
import { userKey } from '../domain/user-key';

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

/** gateway.evt.account-deleted (durable `upload-account-deleted`): the user's files and rows go. Idempotent. */
@Controller()
export class AccountDeletedHandler {
  constructor(
    private readonly sweeper: Sweeper,
    @Inject(LOGGER) private readonly log: Logger,
  ) {}

  @EventPattern(GatewayEvents.accountDeleted, { stream: GATEWAY_EVENTS, durable: Durables.uploadAccountDeleted, maxDeliver: -1 } satisfies BusEventOptions)
  async handle(@Payload() e: EventEnvelope<AccountDeletedV1>): Promise<void> {
    const user = userKey(e?.data?.jid);
    if (!user) throw new TerminalError(`account-deleted ${String(e?.id).slice(0, 200)} without an account JID`);
    const deleted = await this.sweeper.eraseUser(user);
    this.log.info({ eventId: e.id, deleted }, 'uploads of a deleted account erased');
  }
}
