// XEP-0191 Blocking Command: roster.qry.blocklist, roster.cmd.block,
// roster.cmd.unblock, roster.cmd.unblock-all. Each change is published as
// roster.evt.blocklist-changed for the gateways' pushes and enforcement.
import { Controller, Inject } from '@nestjs/common';
import { MessagePattern, Payload } from '@nestjs/microservices';
import {
  BlockCommand,
  BlocklistChangedV1,
  BlocklistQuery,
  BlocklistResult,
  BlocklistsQuery,
  BlocklistsResult,
  MAX_BLOCKLISTS_PER_QUERY,
  BlockResult,
  envelope,
  RosterEvents,
  RosterSubjects,
  UnblockAllCommand,
  UnblockCommand,
  UnblockResult,
} from '@parley/contracts';
import { distinctUsers, PrepareJids, ReplyException } from '@parley/nats';
import type { RosterConfig } from '../config/config';
import { newlyBlockedSubscribers, unblockedContacts } from '../domain/blocking';
import { toRosterItem } from '../domain/roster-entry';
import { ROSTER_STORE, RosterStore, UserTransaction } from '../store/roster.store';
import { ROSTER_CONFIG } from './tokens';

function jidList(value: unknown, verb: string): string[] {
  if (!Array.isArray(value) || value.length === 0) throw ReplyException.of('bad-request', `${verb} needs at least one <item/>`);
  return [...new Set(value as string[])]; // prepared by the payload pipe
}

async function rosterItems(tx: UserTransaction) {
  return (await tx.entries()).filter((e) => e.inRoster).map(toRosterItem);
}

async function emitChange(tx: UserTransaction, data: BlocklistChangedV1): Promise<void> {
  if (data.jids.length) await tx.emit(envelope<BlocklistChangedV1>(RosterEvents.blocklistChanged, data));
}

@Controller()
export class BlocklistHandler {
  constructor(@Inject(ROSTER_STORE) private readonly store: RosterStore) {}
  @MessagePattern(RosterSubjects.blocklist)
  async handle(@Payload(new PrepareJids({ user: 'account' })) q: BlocklistQuery): Promise<BlocklistResult> {
    return { blocked: await this.store.blocked(q.user) };
  }
}

/** Several users' lists in one query: the gateways ask for the recipients of a burst of messages together. */
@Controller()
export class BlocklistsHandler {
  constructor(@Inject(ROSTER_STORE) private readonly store: RosterStore) {}
  @MessagePattern(RosterSubjects.blocklists)
  async handle(@Payload(new PrepareJids({ users: 'account[]' })) q: BlocklistsQuery): Promise<BlocklistsResult> {
    const lists = await this.store.blockedOf(distinctUsers(q.users, MAX_BLOCKLISTS_PER_QUERY));
    return { blocked: q.users.map((u) => lists.get(u) ?? []) };
  }
}

@Controller()
export class BlockHandler {
  constructor(
    @Inject(ROSTER_STORE) private readonly store: RosterStore,
    @Inject(ROSTER_CONFIG) private readonly config: RosterConfig,
  ) {}
  @MessagePattern(RosterSubjects.block)
  async handle(@Payload(new PrepareJids({ user: 'account', jids: 'full[]' })) cmd: BlockCommand): Promise<BlockResult> {
    const user = cmd.user;
    const jids = jidList(cmd.jids, 'block');
    return this.store.transact(user, async (tx) => {
      const before = await tx.blocked();
      const fresh = jids.filter((j) => !before.includes(j));
      const max = this.config.ROSTER_MAX_BLOCKED;
      if (before.length + fresh.length > max) throw ReplyException.of('not-allowed', `the block list is full: it may hold at most ${max} JIDs`, 'cancel');
      const added = await tx.addBlocked(fresh);
      const sendUnavailableTo = added.length ? newlyBlockedSubscribers(await rosterItems(tx), before, added) : [];
      await emitChange(tx, { user, action: 'block', jids: added });
      return { blocked: jids, sendUnavailableTo };
    });
  }
}

@Controller()
export class UnblockHandler {
  constructor(@Inject(ROSTER_STORE) private readonly store: RosterStore) {}
  @MessagePattern(RosterSubjects.unblock)
  async handle(@Payload(new PrepareJids({ user: 'account', jids: 'full[]' })) cmd: UnblockCommand): Promise<UnblockResult> {
    const user = cmd.user;
    const jids = jidList(cmd.jids, 'unblock');
    return this.store.transact(user, async (tx) => {
      const before = await tx.blocked();
      const removed = await tx.removeBlocked(jids);
      const after = before.filter((j) => !removed.includes(j));
      const freed = removed.length ? unblockedContacts(await rosterItems(tx), before, after) : { sendPresenceTo: [], probe: [] };
      await emitChange(tx, { user, action: 'unblock', jids: removed });
      return { unblocked: removed, ...freed };
    });
  }
}

@Controller()
export class UnblockAllHandler {
  constructor(@Inject(ROSTER_STORE) private readonly store: RosterStore) {}
  @MessagePattern(RosterSubjects.unblockAll)
  async handle(@Payload(new PrepareJids({ user: 'account' })) cmd: UnblockAllCommand): Promise<UnblockResult> {
    const user = cmd.user;
    return this.store.transact(user, async (tx) => {
      const removed = await tx.clearBlocked();
      const freed = removed.length ? unblockedContacts(await rosterItems(tx), removed, []) : { sendPresenceTo: [], probe: [] };
      await emitChange(tx, { user, action: 'unblock-all', jids: removed });
      return { unblocked: removed, ...freed };
    });
  }
}
