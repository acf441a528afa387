// gateway.evt.account-deleted (durable `offline-account-deleted`): erase the user's
// offline messages. Idempotent: a replay deletes nothing more.
import { Controller, Inject } from '@nestjs/common';
import { EventPattern, Payload } from '@nestjs/microservices';
import { LOGGER, Logger } from '@parley/runtime';
import { accountErased, AccountDeletedV1, EventEnvelope, GATEWAY_EVENTS, GatewayEvents, Durables } from '@parley/contracts';
import { Bus, BusEventOptions, PrepareJids } from '@parley/nats';
import { OFFLINE_STORE, OfflineStore } from '../store/offline-store';

/** Durable consumer name of account deletions. */
export const ACCOUNT_DELETED_DURABLE = Durables.offlineAccountDeleted;

@Controller()
export class AccountDeletedHandler {
  constructor(
    @Inject(OFFLINE_STORE) private readonly store: OfflineStore,
    @Inject(LOGGER) private readonly log: Logger,
    private readonly bus: Bus,
  ) {}

  // Retried until it succeeds (e.g. through a long database outage); unusable ones are dropped with TerminalError.
  @EventPattern(GatewayEvents.accountDeleted, { stream: GATEWAY_EVENTS, durable: ACCOUNT_DELETED_DURABLE, maxDeliver: -1 } satisfies BusEventOptions)
  // The pipe prepares the JID (an event without an account JID is terminated).
  async handle(@Payload(new PrepareJids({ 'data.jid': 'account' })) e: EventEnvelope<AccountDeletedV1>): Promise<void> {
    const user = e.data.jid;
    const at = new Date(e.occurredAt);
    // Messages that arrived up to the deletion and are still in flight get refused later.
    const deleted = await this.store.eraseAccount(user, Number.isNaN(at.getTime()) ? new Date() : at);
    this.log.info({ eventId: e.id, deleted }, 'offline messages of a deleted account erased');
    // Confirmed once erased; a failed publish retries the (idempotent) erasure and this.
    await this.bus.publishEvent(accountErased('offline', e, { messages: deleted }));
  }
}
