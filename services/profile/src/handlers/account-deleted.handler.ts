// gateway.evt.account-deleted (durable `profile-account-deleted`): erases the user's
// vCard, private XML and PEP nodes with their items, then confirms on
// ERASURE_CONFIRMATIONS (counts only). Idempotent: a replay finds nothing and confirms again
// (JetStream keeps one confirmation per deletion).
import { Controller, Inject } from '@nestjs/common';
import { EventPattern, Payload } from '@nestjs/microservices';
import { accountErased, AccountDeletedV1, Durables, EventEnvelope, GATEWAY_EVENTS, GatewayEvents } from '@parley/contracts';
import { Bus, BusEventOptions, PrepareJids } from '@parley/nats';
import { LOGGER, Logger } from '@parley/runtime';
import { Erased, ProfileStore } from '../store/profile-store';

@Controller()
export class AccountDeletedHandler {
  constructor(
    private readonly store: ProfileStore,
    @Inject(LOGGER) private readonly log: Logger,
    private readonly bus: Bus,
  ) {}

  @EventPattern(GatewayEvents.accountDeleted, { stream: GATEWAY_EVENTS, durable: Durables.profileAccountDeleted, maxDeliver: -1 } satisfies BusEventOptions)
  async onEvent(@Payload(new PrepareJids({ 'data.jid': 'account' })) event: EventEnvelope<AccountDeletedV1>): Promise<void> {
    const erased = await this.handle(event.data);
    // Confirmed once erased; a failed publish retries the (idempotent) erasure and this.
    await this.bus.publishEvent(accountErased('profile', event, { ...erased }));
  }

  /** `e.jid` is prepared (the pipe terms an event without a valid account JID). */
  async handle(e: AccountDeletedV1): Promise<Erased> {
    const erased = await this.store.eraseUser(e.jid);
    this.log.info({ ...erased, reason: e.reason }, 'profile erased for a deleted account');
    return erased;
  }
}
