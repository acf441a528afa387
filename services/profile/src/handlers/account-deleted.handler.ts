// gateway.evt.account-deleted (durable `profile-account-deleted`): erases the user's
// vCard, private XML and PEP nodes with their items. Idempotent: a replay finds nothing.
import { Controller, Inject } from '@nestjs/common';
import { EventPattern, Payload } from '@nestjs/microservices';
import { AccountDeletedV1, Durables, EventEnvelope, GATEWAY_EVENTS, GatewayEvents } from '@parley/contracts';
import { BusEventOptions, TerminalError } from '@parley/nats';
import { LOGGER, Logger } from '@parley/runtime';
import { foldJid } from '@parley/xep';
import { ProfileStore } from '../store/profile-store';

@Controller()
export class AccountDeletedHandler {
  constructor(
    private readonly store: ProfileStore,
    @Inject(LOGGER) private readonly log: Logger,
  ) {}

  @EventPattern(GatewayEvents.accountDeleted, { stream: GATEWAY_EVENTS, durable: Durables.profileAccountDeleted, maxDeliver: -1 } satisfies BusEventOptions)
  onEvent(@Payload() event: EventEnvelope<AccountDeletedV1>): Promise<void> {
    return this.handle(event.data);
  }

  async handle(e: AccountDeletedV1): Promise<void> {
    const jid = e?.jid;
    if (typeof jid !== 'string' || !jid.includes('@') || jid.includes('/')) throw new TerminalError('account-deleted without a bare JID');
    const erased = await this.store.eraseUser(foldJid(jid));
    this.log.info({ ...erased, reason: e.reason }, 'profile erased for a deleted account');
  }
}
