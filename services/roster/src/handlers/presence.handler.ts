// roster.cmd.presence — RFC 6121 §3: one subscription presence stanza (subscribe,
// subscribed, unsubscribe, unsubscribed), outbound from or inbound to a local user,
// applied atomically to that user's roster (Appendix A, with pre-approval §3.4).
import { Controller, Inject } from '@nestjs/common';
import { MessagePattern, Payload } from '@nestjs/microservices';
import { envelope, RosterEvents, RosterPresenceCommand, RosterPresenceResult, RosterSubjects, SubscriptionPresenceType, SubscriptionPresenceV1 } from '@parley/contracts';
import { PrepareJids, ReplyException } from '@parley/nats';
import type { RosterConfig } from '../config/config';
import { isBlocked } from '../domain/blocking';
import { newEntry, RosterEntry, toRosterItem } from '../domain/roster-entry';
import { ABSENT, decide, SubscriptionState } from '../domain/subscription';
import { boundedStatus } from '../domain/validation';
import { ROSTER_STORE, RosterStore } from '../store/roster.store';
import { rosterFull } from './errors';
import { ROSTER_CONFIG } from './tokens';

const TYPES: readonly SubscriptionPresenceType[] = ['subscribe', 'subscribed', 'unsubscribe', 'unsubscribed'];

function stateOf(e: RosterEntry | undefined): SubscriptionState {
  if (!e) return ABSENT;
  return { subscription: e.subscription, pendingOut: e.pendingOut, pendingIn: e.pendingIn, approved: e.approved, inRoster: e.inRoster };
}

/** An inbound stanza small enough to keep whole, or undefined (the caller keeps its status only). */
function keptStanza(stanza: unknown, maxBytes: number): string | undefined {
  if (typeof stanza !== 'string' || !stanza.startsWith('<presence')) return undefined;
  return Buffer.byteLength(stanza) <= maxBytes ? stanza : undefined;
}

/** The bare subscription presence, for a stanza too large to carry (or from a caller that sent none). */
function minimalPresence(type: SubscriptionPresenceType, from: string, to: string): string {
  const esc = (s: string) => s.replace(/&/g, '&amp;').replace(/'/g, '&apos;').replace(/</g, '&lt;');
  return `<presence from='${esc(from)}' to='${esc(to)}' type='${type}'/>`;
}

function sameEntry(a: RosterEntry, b: RosterEntry): boolean {
  return JSON.stringify(a) === JSON.stringify(b);
}

@Controller()
export class PresenceHandler {

  constructor(
    @Inject(ROSTER_STORE) private readonly store: RosterStore,
    @Inject(ROSTER_CONFIG) private readonly config: RosterConfig,
  ) {}

  @MessagePattern(RosterSubjects.presence)
  async handle(@Payload(new PrepareJids({ user: 'account', contact: 'bare' })) cmd: RosterPresenceCommand): Promise<RosterPresenceResult> {
    const { user, contact } = cmd;
    if (!TYPES.includes(cmd.type)) throw ReplyException.of('bad-request', `type must be one of ${TYPES.join(', ')}`);
    if (cmd.direction !== 'outbound' && cmd.direction !== 'inbound') throw ReplyException.of('bad-request', 'direction must be outbound or inbound');
    const stanza = cmd.direction === 'inbound' ? keptStanza(cmd.stanza, this.config.ROSTER_MAX_REQUEST_SIZE) : undefined;

    return this.store.transact(user, async (tx) => {
      const existing = await tx.entry(contact);
      const visible = existing?.inRoster ? toRosterItem(existing) : undefined;
      const unchanged = { contact, changed: false, ver: String(tx.startVer), ...(visible ? { item: visible } : {}) };

      // XEP-0191: nothing passes between the user and a blocked JID, in either direction.
      if (isBlocked(await tx.blocked(), contact)) return { deliver: false, blocked: true, ...unchanged };

      const before = stateOf(existing);
      const d = decide(before, { direction: cmd.direction, type: cmd.type });

      if (d.state.inRoster && !before.inRoster && (await tx.countInRoster()) >= this.config.ROSTER_MAX_ITEMS) {
        throw rosterFull(this.config.ROSTER_MAX_ITEMS);
      }
      if (d.state.pendingIn && !existing && (await tx.countHiddenPending()) >= this.config.ROSTER_MAX_PENDING_IN) {
        // Too many unanswered requests to keep another: decline it rather than drop it silently.
        return { deliver: false, autoReply: 'unsubscribed', ...unchanged };
      }

      let after: RosterEntry | undefined;
      if (d.forget) {
        if (existing) await tx.remove(contact);
      } else {
        after = { ...(existing ?? newEntry(contact, ABSENT)), ...d.state };
        if (!d.state.pendingIn) {
          delete after.pendingInStatus;
          delete after.pendingInStanza;
        } else if (!before.pendingIn) {
          const status = boundedStatus(cmd.status, this.config.ROSTER_MAX_STATUS_LENGTH);
          if (status === undefined) delete after.pendingInStatus;
          else after.pendingInStatus = status;
          // RFC 6121 §3.1.3: the request is kept as it came, to be delivered whole at login
          if (stanza === undefined) delete after.pendingInStanza;
          else after.pendingInStanza = stanza;
        }
        if (!existing || !sameEntry(existing, after)) await tx.save(after);
      }

      const item = after?.inRoster ? toRosterItem(after) : undefined;
      let ver = tx.startVer;
      // An inbound stanza to deliver travels on the event stream, in commit order: with the
      // push it causes (RFC 6121 §3.1.6, §3.2.3, §3.3.3: delivered to interested resources
      // right before that push) or alone; so every gateway keeps both that order and the
      // order in which the contact sent its subscription presences.
      const inboundDelivery = d.deliver && cmd.direction === 'inbound';
      const presence = inboundDelivery ? (stanza ?? minimalPresence(cmd.type, contact, user)) : undefined;
      const withPush = inboundDelivery && d.push && cmd.type !== 'subscribe';
      if (d.push) ver = await tx.recordPush(item ?? { jid: contact, subscription: 'remove' }, 'subscription', withPush ? presence : undefined);
      if (inboundDelivery && !withPush) {
        await tx.emit(
          envelope<SubscriptionPresenceV1>(RosterEvents.subscriptionPresence, { user, presence: presence!, to: cmd.type === 'subscribe' ? 'available' : 'interested' }),
        );
      }
      const result: RosterPresenceResult = { deliver: d.deliver, contact, changed: d.push, ver: String(ver) };
      if (inboundDelivery) result.deliveredByEvent = true;
      if (d.autoReply) result.autoReply = d.autoReply;
      if (d.sendPresence) result.sendPresence = d.sendPresence;
      if (item) result.item = item;
      return result;
    });
  }
}
