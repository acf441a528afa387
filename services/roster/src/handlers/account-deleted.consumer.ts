// gateway.evt.account-deleted: erase the user's roster, pending requests and block
// list, and remove the user from every local roster (each removal pushed as
// roster.evt.item-updated). Idempotent: a replay finds nothing left to do.
import { Controller, Inject } from '@nestjs/common';
import { EventPattern, Payload } from '@nestjs/microservices';
import {
  accountErased,
  AccountDeletedV1,
  Durables,
  envelope,
  EventEnvelope,
  GATEWAY_EVENTS,
  GatewayEvents,
  RosterEvents,
  RosterUserErasedV1,
  SubscriptionPresenceToSend,
} from '@parley/contracts';
import { Bus, BusEventOptions, PrepareJids, TerminalError } from '@parley/nats';
import { LOGGER, Logger } from '@parley/runtime';
import { presencesOnRemoval } from '../domain/subscription';
import { ROSTER_STORE, RosterStore } from '../store/roster.store';
import { bareOf } from '@parley/jid';

/** Durable consumer name shared by every roster replica. */
export const ACCOUNT_DELETED_DURABLE = Durables.rosterAccountDeleted;

@Controller()
export class AccountDeletedConsumer {
  constructor(
    @Inject(ROSTER_STORE) private readonly store: RosterStore,
    @Inject(LOGGER) private readonly log: Logger,
    private readonly bus: Bus,
  ) {}

  /** Erases one deleted account; throws to be retried, TerminalError for a bad event. */
  @EventPattern(GatewayEvents.accountDeleted, { stream: GATEWAY_EVENTS, durable: ACCOUNT_DELETED_DURABLE, maxDeliver: -1 } satisfies BusEventOptions)
  async erase(@Payload(new PrepareJids({ 'data.jid': 'account' })) event: EventEnvelope<AccountDeletedV1>): Promise<void> {
    // A missing `data` or a bad JID is refused by the pipe: the filter terminates the event.
    if (typeof event.data !== 'object' || event.data === null) throw new TerminalError(`account-deleted event ${event.id} has no data`);
    const user = event.data.jid;

    // 1. Every other local roster that holds the user (as a roster item or a pending request).
    const holders = (await this.store.entriesOfContact(user)).filter((h) => h.owner !== user);
    let contactsUpdated = 0;
    const owners = [...new Set(holders.map((h) => h.owner))];
    for (const owner of owners) {
      const contacts = holders.filter((h) => h.owner === owner).map((h) => h.contact);
      contactsUpdated += await this.store.transact(owner, async (tx) => {
        let pushed = 0;
        for (const contact of contacts) {
          const entry = await tx.entry(contact);
          if (!entry) continue;
          await tx.remove(contact);
          // The owner's versioning log keeps no name or groups of a deleted contact.
          await tx.redactChanges(contact);
          if (entry.inRoster) {
            await tx.recordPush({ jid: contact, subscription: 'remove' }, 'contact-deleted');
            pushed += 1;
          }
        }
        return pushed > 0 ? 1 : 0;
      });
    }

    // 2. The user's own data, with what the user's server owes the user's contacts.
    const erased = await this.store.transact(user, async (tx) => {
      const entries = await tx.entries();
      const blocked = await tx.blocked();
      if (!entries.length && !blocked.length && !contactsUpdated) {
        await tx.eraseAll();
        return undefined;
      }
      const presences: SubscriptionPresenceToSend[] = entries.flatMap((e) =>
        presencesOnRemoval(e).types.map((type) => ({ to: bareOf(e.contact), type })),
      );
      await tx.eraseAll();
      await tx.emit(
        envelope<RosterUserErasedV1>(RosterEvents.userErased, { user, presences, contactsUpdated }, { causationId: event.id, correlationId: event.correlationId }),
      );
      return { items: entries.length, blocked: blocked.length };
    });
    if (erased) this.log.info({ event: event.id, contactsUpdated }, 'erased roster data of a deleted account');
    // Confirmed once erased; a failed publish retries the (idempotent) erasure and this.
    await this.bus.publishEvent(accountErased('roster', event, { ...(erased ?? { items: 0, blocked: 0 }), contactsUpdated }));
  }
}
