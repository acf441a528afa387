// roster.qry.login — everything presence needs when a session becomes available,
// in one round trip and three queries: roster items with subscription states (whom
// to probe, RFC 6121 §4.3; whom to broadcast to, §4.4.2), the pending inbound
// requests to re-deliver (§3.1.3) and the block list (XEP-0191).
import { Controller, Inject } from '@nestjs/common';
import { MessagePattern, Payload } from '@nestjs/microservices';
import { PrepareJids } from '@parley/nats';
import { PendingSubscriptionRequest, RosterLoginQuery, RosterLoginResult, RosterSubjects } from '@parley/contracts';
import { isBlocked } from '../domain/blocking';
import { receivesUserPresence, sendsPresenceToUser, toPendingRequest, toRosterItem } from '../domain/roster-entry';
import { ROSTER_STORE, RosterStore } from '../store/roster.store';
import { bareOf } from '@parley/jid';

@Controller()
export class LoginHandler {

  constructor(@Inject(ROSTER_STORE) private readonly store: RosterStore) {}

  @MessagePattern(RosterSubjects.login)
  async handle(@Payload(new PrepareJids({ user: 'account' })) q: RosterLoginQuery): Promise<RosterLoginResult> {
    const user = q.user;
    const { ver, entries, blocked } = await this.store.snapshot(user);
    const visible = entries.filter((e) => e.inRoster);
    const allowed = (jid: string) => !isBlocked(blocked, jid);
    const unique = (jids: string[]) => [...new Set(jids)];
    return {
      ver: String(ver),
      items: visible.map(toRosterItem),
      probe: unique(visible.filter(sendsPresenceToUser).map((e) => bareOf(e.contact)).filter(allowed)),
      broadcast: unique(visible.filter(receivesUserPresence).map((e) => bareOf(e.contact)).filter(allowed)),
      pendingIn: entries
        .map(toPendingRequest)
        .filter((p): p is PendingSubscriptionRequest => p !== undefined && allowed(p.jid)),
      blocked,
    };
  }
}
