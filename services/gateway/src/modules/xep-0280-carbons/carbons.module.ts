// XEP-0280: Message Carbons — a resource that enabled carbons gets a copy of every
// eligible message its user receives on another resource (`<received/>`) or sends from
// another resource (`<sent/>`), wherever that resource is connected (the directory
// knows every resource's carbons flag across gateways).
import { NS, StanzaError } from '@parley/stanza';
import type { Element } from '@parley/xml';
import type { Session } from '../../session/session';
import type { IqHandler } from '../registry';
import { senderArchiveId } from '../xep-0313-mam/sender-ids';
import type { GatewayModule } from '..';
import { carbonEligible, carbonXml, forwardedXml, privateMarker } from './carbons';

export const carbonsModule: GatewayModule = {
  name: 'xep-0280-carbons',
  init(gw) {
    const log = gw.log.child({ module: 'xep-0280-carbons' });
    // Messages whose <private/> this server removed before delivery (§9): never copied.
    const privateMessages = new WeakSet<Element>();
    // Which resources got a message a user sent to their own account (no carbon for those).
    const deliveredToSelf = new WeakMap<Element, string[]>();

    // §3: the server supports carbons.
    gw.registry.serverFeatures.add(NS.carbons);

    // §4/§5: <enable/> and <disable/>, addressed to the account (or the server). Repeating either is fine (§11.1).
    const toggle: IqHandler = (iq, session, target) => {
      if (target.bare !== session.bare && target.bare !== gw.domain) throw StanzaError.notAllowed("only a resource's own session can change its carbons");
      const payload = iq.children.find((c): c is Element => typeof c !== 'string');
      if (payload?.name !== 'enable' && payload?.name !== 'disable') throw StanzaError.badRequest('expected <enable/> or <disable/>');
      const on = payload.name === 'enable';
      if (session.carbons !== on) {
        session.carbons = on;
        gw.sessions.update(session); // other gateways see the flag in their directory
      }
      return undefined;
    };
    gw.registry.onIq('set', 'account', NS.carbons, toggle);
    gw.registry.onIq('set', 'server', NS.carbons, toggle);

    // §9: the receiving server removes <private/> before delivery, and copies nothing of it.
    gw.hooks.inbound.push((stanza) => {
      if (stanza.name !== 'message') return false;
      const marker = privateMarker(stanza);
      if (marker) {
        stanza.remove(marker);
        privateMessages.add(stanza);
      }
      return false;
    });

    // §7: received carbons, to the user's carbon-enabled resources that did not get the message.
    gw.hooks.messageDelivered.push((stanza, toBare, delivered) => {
      if (privateMessages.has(stanza) || !carbonEligible(stanza)) return;
      const from = stanza.attrs.from ?? '';
      const slash = from.indexOf('/');
      if ((slash < 0 ? from : from.slice(0, slash)) === toBare) {
        deliveredToSelf.set(stanza, delivered); // a message to oneself: copied as <sent/> only
        return;
      }
      const targets = gw.directory.resources(toBare).filter((r) => r.carbons && !delivered.includes(r.resource));
      if (!targets.length) return;
      const inner = forwardedXml(stanza);
      for (const t of targets) gw.router.deliverTo(toBare, t, carbonXml('received', toBare, `${toBare}/${t.resource}`, stanza.attrs.type, inner));
    });

    // §8: sent carbons, to the sender's other carbon-enabled resources, with the sender's archive id.
    const sendCopies = (session: Session, stanza: Element, peerBare: string, archiveId: string | undefined) => {
      const skip = deliveredToSelf.get(stanza) ?? [];
      const targets = gw.directory.resources(session.bare).filter((r) => r.carbons && r.resource !== session.jid.resource && !skip.includes(r.resource));
      if (!targets.length) return;
      const drop = peerBare === session.bare ? [session.bare] : [session.bare, peerBare];
      const inner = forwardedXml(stanza, drop, archiveId ? { id: archiveId, by: session.bare } : undefined);
      for (const t of targets) gw.router.deliverTo(session.bare, t, carbonXml('sent', session.bare, `${session.bare}/${t.resource}`, stanza.attrs.type, inner));
    };
    gw.hooks.messageSent.push((session, stanza, dest) => {
      if (!dest.local || !dest.jid.local || privateMessages.has(stanza) || !carbonEligible(stanza)) return;
      if (!gw.directory.resources(session.bare).some((r) => r.carbons && r.resource !== session.jid.resource)) return;
      const id = senderArchiveId(stanza);
      const peerBare = dest.jid.bareString;
      if (typeof id === 'object') {
        id.then(
          (resolved) => sendCopies(session, stanza, peerBare, resolved),
          (e) => log.error({ err: e }, 'sent carbons failed'),
        );
      } else sendCopies(session, stanza, peerBare, id);
    });
  },
};
