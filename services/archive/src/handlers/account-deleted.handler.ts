// gateway.evt.account-deleted (durable `archive-account-deleted`): erases the user's
// archive and preferences, and purges the user's subject from ARCHIVE_PREFS so the JID
// leaves NATS too. Idempotent: a replay finds nothing left to delete.
import { Inject, Injectable } from '@nestjs/common';
import { AccountDeletedV1, GATEWAY_EVENTS, GatewayEvents } from '@parley/contracts';
import { Bus, ConsumerHandle, TerminalError } from '@parley/nats';
import { foldJid } from '@parley/xep';
import { isBareJidLike } from '../domain/prefs';
import { ARCHIVE_STORE, ArchiveStore } from '../store/archive-store';
import { ArchiveHandler, LOGGER, Log } from './handler';
import { PrefsEvents } from './prefs-events';

/** Durable consumer name of the account-deleted subscription. */
export const ACCOUNT_DELETED_DURABLE = 'archive-account-deleted';

@Injectable()
export class AccountDeletedHandler implements ArchiveHandler {
  private consumer?: ConsumerHandle;

  constructor(
    private readonly bus: Bus,
    @Inject(ARCHIVE_STORE) private readonly store: ArchiveStore,
    @Inject(LOGGER) private readonly log: Log,
    private readonly prefsEvents: PrefsEvents,
  ) {}

  async start(): Promise<void> {
    this.consumer = await this.bus.consume<AccountDeletedV1>({
      stream: GATEWAY_EVENTS,
      durable: ACCOUNT_DELETED_DURABLE,
      filterSubjects: [GatewayEvents.accountDeleted],
      handler: async (event) => this.handle(event.data),
    });
  }

  async stop(): Promise<void> {
    await this.consumer?.stop();
    this.consumer = undefined;
  }

  async handle(e: AccountDeletedV1): Promise<void> {
    if (!isBareJidLike(e?.jid)) throw new TerminalError('account-deleted without a bare JID');
    const jid = foldJid(e.jid);
    const erased = await this.store.eraseUser(jid);
    await this.prefsEvents.purge(jid);
    this.log.info({ messages: erased.messages, prefs: erased.prefs, reason: e.reason }, 'archive erased for a deleted account');
  }
}
