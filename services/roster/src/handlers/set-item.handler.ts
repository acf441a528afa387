// roster.cmd.set-item — RFC 6121 §2.3/§2.4: add or update one roster item. The
// set replaces the item's name and groups; its subscription state is untouched.
import { Controller, Inject } from '@nestjs/common';
import { MessagePattern, Payload } from '@nestjs/microservices';
import { RosterSetItemCommand, RosterSetItemResult, RosterSubjects } from '@parley/contracts';
import { PrepareJids, ReplyException } from '@parley/nats';
import type { RosterConfig } from '../config/config';
import { newEntry, RosterEntry, toRosterItem } from '../domain/roster-entry';
import { ABSENT } from '../domain/subscription';
import { validateItemFields } from '../domain/validation';
import { ROSTER_STORE, RosterStore } from '../store/roster.store';
import { asReply, rosterFull } from './errors';
import { ROSTER_CONFIG } from './tokens';

@Controller()
export class SetItemHandler {

  constructor(
    @Inject(ROSTER_STORE) private readonly store: RosterStore,
    @Inject(ROSTER_CONFIG) private readonly config: RosterConfig,
  ) {}

  @MessagePattern(RosterSubjects.setItem)
  async handle(@Payload(new PrepareJids({ user: 'account', 'item.jid': 'full' })) cmd: RosterSetItemCommand): Promise<RosterSetItemResult> {
    const user = cmd.user;
    if (typeof cmd.item !== 'object' || cmd.item === null) throw ReplyException.of('bad-request', 'the item is missing');
    const contact = cmd.item.jid;
    let fields: { name?: string; groups: string[] };
    try {
      fields = validateItemFields(cmd.item, {
        maxNameLength: this.config.ROSTER_MAX_NAME_LENGTH,
        maxGroupLength: this.config.ROSTER_MAX_GROUP_LENGTH,
        maxGroups: this.config.ROSTER_MAX_GROUPS,
      });
    } catch (e) {
      asReply(e);
    }
    return this.store.transact(user, async (tx) => {
      const existing = await tx.entry(contact);
      if (!existing?.inRoster && (await tx.countInRoster()) >= this.config.ROSTER_MAX_ITEMS) throw rosterFull(this.config.ROSTER_MAX_ITEMS);
      const entry: RosterEntry = { ...(existing ?? newEntry(contact, ABSENT)), inRoster: true, name: fields.name, groups: fields.groups };
      if (entry.name === undefined) delete entry.name;
      await tx.save(entry);
      const item = toRosterItem(entry);
      const ver = await tx.recordPush(item, 'set');
      return { ver: String(ver), item };
    });
  }
}
