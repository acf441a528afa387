// XEP-0030: Service Discovery — info and items for the server and for accounts.
// Features come from what every module declared through its context.
import { NS, StanzaError } from '@parley/stanza';
import { x } from '@parley/xml';
import { defineModule, Session } from '../../host';

export const discoModule = defineModule({
  name: 'xep-0030-disco',
  init(ctx) {
    ctx.serverFeature(NS.discoInfo);
    ctx.serverFeature(NS.discoItems);
    ctx.accountFeature(NS.discoInfo, { public: true });
    ctx.accountFeature(NS.discoItems, { public: true });
    const d = ctx.disco;

    const features = (set: ReadonlySet<string>) => [...set].sort().map((v) => x('feature', { var: v }));

    const nodeAnswer = async (kind: 'info' | 'items', node: string, session: Session, target: { bare: string; local: string }) => {
      const answers = d.node(node);
      const n = answers?.[kind];
      if (!n) throw StanzaError.itemNotFound();
      return x('query', { xmlns: kind === 'info' ? NS.discoInfo : NS.discoItems, node }, ...(await n.call(answers, session, target)));
    };

    ctx.iq('get', 'server', NS.discoInfo, (iq, session) => {
      const node = iq.getChild('query')?.attrs.node;
      if (node) return nodeAnswer('info', node, session, { bare: ctx.domain, local: '' });
      return x('query', { xmlns: NS.discoInfo }, x('identity', { category: 'server', type: 'im', name: ctx.serverName }), ...features(d.serverFeatures), ...d.serverInfoForms);
    });
    ctx.iq('get', 'server', NS.discoItems, (iq, session) => {
      const node = iq.getChild('query')?.attrs.node;
      if (node) return nodeAnswer('items', node, session, { bare: ctx.domain, local: '' });
      return x('query', { xmlns: NS.discoItems }, ...d.serverItems.map((i) => x('item', { jid: i.jid, name: i.name })));
    });
    ctx.iq('get', 'account', NS.discoInfo, (iq, session, target) => {
      const node = iq.getChild('query')?.attrs.node;
      if (node) return nodeAnswer('info', node, session, target);
      const own = session.bare === target.bare;
      // XEP-0030 §3.3: every entity lists what it answers. The owner gets everything the
      // account answers for it; anyone else only what is answered to anyone (disco, ping),
      // so nothing is advertised to a requester that would not be answered.
      return x('query', { xmlns: NS.discoInfo }, x('identity', { category: 'account', type: 'registered' }), ...d.accountIdentities.map((i) => x('identity', i)), ...features(own ? d.accountFeatures : d.publicAccountFeatures));
    });
    ctx.iq('get', 'account', NS.discoItems, async (iq, session, target) => {
      const node = iq.getChild('query')?.attrs.node;
      if (node) return nodeAnswer('items', node, session, target);
      return x('query', { xmlns: NS.discoItems }, ...(await d.accountItems(session, target)));
    });
  },
});
