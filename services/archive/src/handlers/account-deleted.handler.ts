// gateway.evt.account-deleted (durable `archive-account-deleted`): erases the user's
// archive and preferences, and purges the user's subject from ARCHIVE_PREFS so the JID
// leaves NATS too. Idempotent: a replay finds nothing left to delete.
import { Inject, Controller } from '@nestjs/common';
import { EventPattern, Payload } from '@nestjs/microservices';
import { LOGGER, Logger } from '@parley/runtime';
import { AccountDeletedV1, Durables, EventEnvelope, GATEWAY_EVENTS, GatewayEvents } from '@parley/contracts';
import { BusEventOptions, TerminalError } from '@parley/nats';
import { foldJid } from '@parley/xep';
import { isBareJidLike } from '../domain/prefs';
import { ARCHIVE_STORE, ArchiveStore } from '../store/archive-store';
import { PrefsEvents } from './prefs-events';

/** Durable consumer name of the account-deleted subscription. */
export const ACCOUNT_DELETED_DURABLE = Durables.archiveAccountDeleted;

@Controller()
export class AccountDeletedHandler {

  constructor(
    @Inject(ARCHIVE_STORE) private readonly store: ArchiveStore,
    @Inject(LOGGER) private readonly log: Logger,
    private readonly prefsEvents: PrefsEvents,
  ) {}



  @EventPattern(GatewayEvents.accountDeleted, { stream: GATEWAY_EVENTS, durable: ACCOUNT_DELETED_DURABLE } satisfies BusEventOptions)
  onEvent(@Payload() event: EventEnvelope<AccountDeletedV1>): Promise<void> {
    return this.handle(event.data);
  }

  async handle(e: AccountDeletedV1): Promise<void> {
    if (!isBareJidLike(e?.jid)) throw new TerminalError('account-deleted without a bare JID');
    const jid = foldJid(e.jid);
    const erased = await this.store.eraseUser(jid);
    await this.prefsEvents.purge(jid);
    this.log.info({ messages: erased.messages, prefs: erased.prefs, reason: e.reason }, 'archive erased for a deleted account');
  }
}
