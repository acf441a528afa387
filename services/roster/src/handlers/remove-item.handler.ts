// roster.cmd.remove-item — RFC 6121 §2.5: remove a roster item and report the
// unsubscribe/unsubscribed presences the user's server now owes the contact.
import { Controller, Inject } from '@nestjs/common';
import { MessagePattern, Payload } from '@nestjs/microservices';
import { RosterRemoveItemCommand, RosterRemoveItemResult, RosterSubjects } from '@parley/contracts';
import { PrepareJids, ReplyException } from '@parley/nats';
import { presencesOnRemoval } from '../domain/subscription';
import { ROSTER_STORE, RosterStore } from '../store/roster.store';
import { bareOf } from '@parley/jid';

@Controller()
export class RemoveItemHandler {

  constructor(@Inject(ROSTER_STORE) private readonly store: RosterStore) {}

  @MessagePattern(RosterSubjects.removeItem)
  async handle(@Payload(new PrepareJids({ user: 'account', jid: 'full' })) cmd: RosterRemoveItemCommand): Promise<RosterRemoveItemResult> {
    const { user, jid: contact } = cmd;
    return this.store.transact(user, async (tx) => {
      const existing = await tx.entry(contact);
      if (!existing?.inRoster) throw ReplyException.of('item-not-found', 'the contact is not in the roster');
      const { types, sendUnavailable } = presencesOnRemoval(existing);
      await tx.remove(contact);
      const ver = await tx.recordPush({ jid: contact, subscription: 'remove' }, 'remove');
      return { ver: String(ver), presences: types.map((type) => ({ to: bareOf(contact), type })), sendUnavailable };
    });
  }
}
