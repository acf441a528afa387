// XEP-0030: Service Discovery — info and items for the server and for accounts.
// Features come from the registry, where every module declared its own.
import { NS, StanzaError } from '@parley/stanza';
import { x } from '@parley/xml';
import type { Session } from '../../session/session';
import type { GatewayModule } from '..';

export const discoModule: GatewayModule = {
  name: 'xep-0030-disco',
  init(gw) {
    const r = gw.registry;
    r.serverFeatures.add(NS.discoInfo).add(NS.discoItems);
    r.accountFeatures.add(NS.discoInfo).add(NS.discoItems);
    r.publicAccountFeatures.add(NS.discoInfo).add(NS.discoItems);

    const features = (set: Set<string>) => [...set].sort().map((v) => x('feature', { var: v }));

    const nodeAnswer = async (kind: 'info' | 'items', node: string, session: Session, target: { bare: string; local: string }) => {
      const n = r.discoNodes.get(node)?.[kind];
      if (!n) throw StanzaError.itemNotFound();
      return x('query', { xmlns: kind === 'info' ? NS.discoInfo : NS.discoItems, node }, ...(await n.call(r.discoNodes.get(node), session, target)));
    };

    r.onIq('get', 'server', NS.discoInfo, (iq, session) => {
      const node = iq.getChild('query')?.attrs.node;
      if (node) return nodeAnswer('info', node, session, { bare: gw.domain, local: '' });
      return x('query', { xmlns: NS.discoInfo }, x('identity', { category: 'server', type: 'im', name: gw.config.SERVER_NAME }), ...features(r.serverFeatures));
    });
    r.onIq('get', 'server', NS.discoItems, (iq, session) => {
      const node = iq.getChild('query')?.attrs.node;
      if (node) return nodeAnswer('items', node, session, { bare: gw.domain, local: '' });
      return x('query', { xmlns: NS.discoItems }, ...r.serverItems.map((i) => x('item', { jid: i.jid, name: i.name })));
    });
    r.onIq('get', 'account', NS.discoInfo, (iq, session, target) => {
      const node = iq.getChild('query')?.attrs.node;
      if (node) return nodeAnswer('info', node, session, target);
      const own = session.bare === target.bare;
      // XEP-0030 §3.3: every entity lists what it answers. The owner gets everything the
      // account answers for it; anyone else only what is answered to anyone (disco, ping),
      // so nothing is advertised to a requester that would not be answered.
      return x('query', { xmlns: NS.discoInfo }, x('identity', { category: 'account', type: 'registered' }), ...features(own ? r.accountFeatures : r.publicAccountFeatures));
    });
    r.onIq('get', 'account', NS.discoItems, (iq, session, target) => {
      const node = iq.getChild('query')?.attrs.node;
      if (node) return nodeAnswer('items', node, session, target);
      return x('query', { xmlns: NS.discoItems });
    });
  },
};
