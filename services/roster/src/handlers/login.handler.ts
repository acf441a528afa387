// roster.qry.login — everything presence needs when a session becomes available,
// in one round trip and three queries: roster items with subscription states (whom
// to probe, RFC 6121 §4.3; whom to broadcast to, §4.4.2), the pending inbound
// requests to re-deliver (§3.1.3) and the block list (XEP-0191).
// roster.qry.logins — the same for several users in one transaction of three queries:
// the gateways gather the sessions that come online together (a login storm).
import { Controller, Inject } from '@nestjs/common';
import { MessagePattern, Payload } from '@nestjs/microservices';
import { distinctUsers, PrepareJids } from '@parley/nats';
import { MAX_LOGINS_PER_QUERY, PendingSubscriptionRequest, RosterLoginQuery, RosterLoginResult, RosterLoginsQuery, RosterLoginsResult, RosterSubjects } from '@parley/contracts';
import { isBlocked } from '../domain/blocking';
import { receivesUserPresence, sendsPresenceToUser, toPendingRequest, toRosterItem } from '../domain/roster-entry';
import { ROSTER_STORE, RosterSnapshot, RosterStore } from '../store/roster.store';
import { bareOf } from '@parley/jid';

/** The login answer of one user's snapshot. */
export function loginAnswer({ ver, entries, blocked }: RosterSnapshot): RosterLoginResult {
  const visible = entries.filter((e) => e.inRoster);
  const allowed = (jid: string) => !isBlocked(blocked, jid);
  const unique = (jids: string[]) => [...new Set(jids)];
  return {
    ver: String(ver),
    items: visible.map(toRosterItem),
    probe: unique(visible.filter(sendsPresenceToUser).map((e) => bareOf(e.contact)).filter(allowed)),
    broadcast: unique(visible.filter(receivesUserPresence).map((e) => bareOf(e.contact)).filter(allowed)),
    pendingIn: entries.map(toPendingRequest).filter((p): p is PendingSubscriptionRequest => p !== undefined && allowed(p.jid)),
    blocked,
  };
}

@Controller()
export class LoginHandler {
  constructor(@Inject(ROSTER_STORE) private readonly store: RosterStore) {}

  @MessagePattern(RosterSubjects.login)
  async handle(@Payload(new PrepareJids({ user: 'account' })) q: RosterLoginQuery): Promise<RosterLoginResult> {
    return loginAnswer(await this.store.snapshot(q.user));
  }
}

@Controller()
export class LoginsHandler {
  constructor(@Inject(ROSTER_STORE) private readonly store: RosterStore) {}

  @MessagePattern(RosterSubjects.logins)
  async handle(@Payload(new PrepareJids({ users: 'account[]' })) q: RosterLoginsQuery): Promise<RosterLoginsResult> {
    const snapshots = await this.store.snapshots(distinctUsers(q.users, MAX_LOGINS_PER_QUERY));
    return { results: q.users.map((u) => loginAnswer(snapshots.get(u)!)) };
  }
}
