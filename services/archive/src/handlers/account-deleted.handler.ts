// gateway.evt.account-deleted (durable `archive-account-deleted`): erases the user's
// archive and preferences, and purges the user's subject from ARCHIVE_PREFS so the JID
// leaves NATS too. Idempotent: a replay finds nothing left to delete.
import { Inject, Controller } from '@nestjs/common';
import { EventPattern, Payload } from '@nestjs/microservices';
import { LOGGER, Logger } from '@parley/runtime';
import { accountErased, ARCHIVE_PREFS, AccountDeletedV1, ArchiveEvents, Durables, EventEnvelope, GATEWAY_EVENTS, GatewayEvents } from '@parley/contracts';
import { Bus, BusEventOptions, PrepareJids } from '@parley/nats';
import { ARCHIVE_STORE, ArchiveStore } from '../store/archive-store';

/** Durable consumer name of the account-deleted subscription. */
export const ACCOUNT_DELETED_DURABLE = Durables.archiveAccountDeleted;

@Controller()
export class AccountDeletedHandler {

  constructor(
    @Inject(ARCHIVE_STORE) private readonly store: ArchiveStore,
    @Inject(LOGGER) private readonly log: Logger,
    private readonly bus: Bus,
  ) {}

  @EventPattern(GatewayEvents.accountDeleted, { stream: GATEWAY_EVENTS, durable: ACCOUNT_DELETED_DURABLE, maxDeliver: -1 } satisfies BusEventOptions)
  async onEvent(@Payload(new PrepareJids({ 'data.jid': 'account' })) event: EventEnvelope<AccountDeletedV1>): Promise<void> {
    const erased = await this.handle(event.data);
    // Confirmed once erased; a failed publish retries the (idempotent) erasure and this.
    await this.bus.publishEvent(accountErased('archive', event, erased));
  }

  /** `e.jid` is prepared (the pipe terms an event without a valid account JID). */
  async handle(e: AccountDeletedV1): Promise<{ messages: number; prefs: number }> {
    const jid = e.jid;
    const subject = ArchiveEvents.prefsChangedFor(jid);
    const erased = await this.store.eraseUser(jid, subject);
    // After the erasure committed: nothing of the user's is queued any more.
    await this.bus.purgeSubject(ARCHIVE_PREFS, subject);
    this.log.info({ messages: erased.messages, prefs: erased.prefs, reason: e.reason }, 'archive erased for a deleted account');
    return erased;
  }
}
