// XEP-0280: Message Carbons — a resource that enabled carbons gets a copy of every
// eligible message its user receives on another resource (`<received/>`) or sends from
// another resource (`<sent/>`), wherever that resource is connected (the directory
// knows every resource's carbons flag across gateways).
import { NS, StanzaError } from '@parley/stanza';
import type { Element } from '@parley/xml';
import { CoreHooks, defineModule, defineSlot, IqHandler, Session, SlotMap } from '../../host';
import { MAM_PRIORITY, SENDER_ARCHIVE_ID } from '../xep-0313-mam/api';
import { carbonEligible, carbonXml, forwardedXml, privateMarker } from './carbons';

/** In a routed message's data: this server removed its <private/> before delivery (§9): never copied. */
const PRIVATE = defineSlot<true>('xep-0280-carbons/private');
/** In a routed message's data: the resources that got a message a user sent to their own account (no carbon for those). */
const DELIVERED_TO_SELF = defineSlot<string[]>('xep-0280-carbons/delivered-to-self');
/** Below the archive: inbound, the archive stores the message as received (with <private/>); sent, it sets the id carbons carry. */
const CARBONS_PRIORITY = MAM_PRIORITY - 10;

export const carbonsModule = defineModule({
  name: 'xep-0280-carbons',
  init(ctx) {
    const log = ctx.log;
    const enabled = (session: Session) => ctx.directory.resource(session.bare, session.jid.resource)?.carbons ?? false;

    // §3: the server supports carbons.
    ctx.serverFeature(NS.carbons);

    // §4/§5: <enable/> and <disable/>, addressed to the account (or the server). Repeating either is fine (§11.1).
    const toggle: IqHandler = (iq, session, target) => {
      if (target.bare !== session.bare && target.bare !== ctx.domain) throw StanzaError.notAllowed("only a resource's own session can change its carbons");
      const payload = iq.children.find((c): c is Element => typeof c !== 'string');
      if (payload?.name !== 'enable' && payload?.name !== 'disable') throw StanzaError.badRequest('expected <enable/> or <disable/>');
      const on = payload.name === 'enable';
      if (enabled(session) !== on) ctx.sessions.update(session, { carbons: on }); // other gateways see the flag in their directory
      return undefined;
    };
    ctx.iq('set', 'account', NS.carbons, toggle);
    ctx.iq('set', 'server', NS.carbons, toggle);

    // §9: the receiving server removes <private/> before delivery, and copies nothing of it.
    ctx.hook(
      CoreHooks.inbound,
      ({ stanza, data }) => {
        if (stanza.name !== 'message') return false;
        const marker = privateMarker(stanza);
        if (marker) {
          stanza.remove(marker);
          data.set(PRIVATE, true);
        }
        return false;
      },
      CARBONS_PRIORITY,
    );

    // §7: received carbons, to the user's carbon-enabled resources that did not get the message.
    ctx.hook(CoreHooks.messageDelivered, ({ stanza, toBare, delivered, data }) => {
      if (data.has(PRIVATE) || !carbonEligible(stanza)) return;
      const from = stanza.attrs.from ?? '';
      const slash = from.indexOf('/');
      if ((slash < 0 ? from : from.slice(0, slash)) === toBare) {
        data.set(DELIVERED_TO_SELF, delivered); // a message to oneself: copied as <sent/> only
        return;
      }
      const targets = ctx.directory.resources(toBare).filter((r) => r.carbons && !delivered.includes(r.resource));
      if (!targets.length) return;
      const inner = forwardedXml(stanza);
      for (const t of targets) ctx.router.deliverTo(toBare, t, carbonXml('received', toBare, `${toBare}/${t.resource}`, stanza.attrs.type, inner));
    });

    // §8: sent carbons, to the sender's other carbon-enabled resources, with the sender's archive id.
    const sendCopies = (session: Session, stanza: Element, data: SlotMap, peerBare: string, archiveId: string | undefined) => {
      const skip = data.get(DELIVERED_TO_SELF) ?? [];
      const targets = ctx.directory.resources(session.bare).filter((r) => r.carbons && r.resource !== session.jid.resource && !skip.includes(r.resource));
      if (!targets.length) return;
      const drop = peerBare === session.bare ? [session.bare] : [session.bare, peerBare];
      const inner = forwardedXml(stanza, drop, archiveId ? { id: archiveId, by: session.bare } : undefined);
      for (const t of targets) ctx.router.deliverTo(session.bare, t, carbonXml('sent', session.bare, `${session.bare}/${t.resource}`, stanza.attrs.type, inner));
    };
    ctx.hook(
      CoreHooks.messageSent,
      ({ session, stanza, to: dest, data }) => {
        // not to this server, nor to a domain with no route (the message bounced); components and federated domains get carbons
        if ((dest.local ? !dest.jid.local : !ctx.router.reachable(dest.jid.domain)) || data.has(PRIVATE) || !carbonEligible(stanza)) return;
        if (!ctx.directory.resources(session.bare).some((r) => r.carbons && r.resource !== session.jid.resource)) return;
        const id = data.get(SENDER_ARCHIVE_ID);
        const peerBare = dest.jid.bareString;
        if (typeof id === 'object') {
          id.then(
            (resolved) => sendCopies(session, stanza, data, peerBare, resolved),
            (e) => log.error({ err: e }, 'sent carbons failed'),
          );
        } else sendCopies(session, stanza, data, peerBare, id);
      },
      CARBONS_PRIORITY,
    );
  },
});
