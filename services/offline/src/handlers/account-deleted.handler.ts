// gateway.evt.account-deleted (durable `offline-account-deleted`): erase the user's
// offline messages. Idempotent: a replay deletes nothing more.
import { Inject, Injectable } from '@nestjs/common';
import { AccountDeletedV1, EventEnvelope, GATEWAY_EVENTS, GatewayEvents } from '@parley/contracts';
import { TerminalError } from '@parley/nats';
import { userKey } from '../domain/user-key';
import { OFFLINE_STORE, OfflineStore } from '../store/offline-store';
import { EventHandler, Logger, PINO } from './tokens';

/** Durable consumer name of account deletions. */
export const ACCOUNT_DELETED_DURABLE = 'offline-account-deleted';

@Injectable()
export class AccountDeletedHandler implements EventHandler<AccountDeletedV1> {
  readonly stream = GATEWAY_EVENTS;
  readonly durable = ACCOUNT_DELETED_DURABLE;
  readonly filterSubjects = [GatewayEvents.accountDeleted];
  // Retried until it succeeds (e.g. through a long database outage); unusable ones are dropped with TerminalError.
  readonly maxDeliver = -1;

  constructor(
    @Inject(OFFLINE_STORE) private readonly store: OfflineStore,
    @Inject(PINO) private readonly log: Logger,
  ) {}

  async handle(e: EventEnvelope<AccountDeletedV1>): Promise<void> {
    const jid = e?.data?.jid;
    if (typeof jid !== 'string' || !jid.includes('@')) throw new TerminalError(`account-deleted ${String(e?.id).slice(0, 200)} without a JID`);
    const at = new Date(e.occurredAt);
    // Messages that arrived up to the deletion and are still in flight get refused later.
    const deleted = await this.store.eraseAccount(userKey(jid), Number.isNaN(at.getTime()) ? new Date() : at);
    this.log.info({ eventId: e.id, deleted }, 'offline messages of a deleted account erased');
  }
}
