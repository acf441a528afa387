// XEP-0163: Personal Eventing Protocol, with XEP-0115 caps (`+notify`), XEP-0223
// publish-options and the nodes clients rely on (avatars XEP-0084, bookmarks XEP-0402,
// OMEMO device lists and bundles, nicknames XEP-0172). The profile service stores the
// nodes and decides access (caps.ts asks it for the shared caps cache); this module
// turns IQs into its requests (pep-iq.ts) and delivers notifications (notifications.ts).
import { EventEnvelope, PepNodesQuery, PepNodesResult, PepNotificationV1, ProfileEvents, ProfileSubjects, RosterEvents, RosterItemUpdatedV1 } from '@parley/contracts';
import { parseXml, x } from '@parley/xml';
import { capsOf, NS_PUBSUB, NS_PUBSUB_OWNER } from '@parley/xep';
import { CoreHooks, defineModule, serviceError } from '../../host';
import { PEP, PepApi } from './api';
import { Caps } from './caps';
import { Notifications } from './notifications';
import { pepIqHandler } from './pep-iq';

/** Sees broadcast presence before the presence module (50) consumes it. */
const PEP_PRIORITY = 60;

/** XEP-0060 features PEP answers here (§10). */
const OWNER_FEATURES = ['publish', 'publish-options', 'config-node', 'retract-items', 'delete-items', 'delete-nodes', 'auto-create', 'create-nodes', 'persistent-items', 'last-published', 'access-open', 'access-presence', 'access-roster', 'access-whitelist', 'item-ids', 'filtered-notifications', 'presence-notifications', 'auto-subscribe'];

export const pepModule = defineModule<PepApi>({
  name: 'xep-0163-pep',
  provides: PEP,
  init(ctx) {
    const notifications = new Notifications(ctx, (s) => caps.notifyNodes(s));
    const caps: Caps = new Caps(ctx, (session, nodes) => void notifications.sendLast(session, nodes));
    ctx.hook(CoreHooks.sessionExport, ({ session, state }) => void (state['xep-0163-pep'] = caps.exportState(session)));
    ctx.hook(CoreHooks.sessionImport, ({ session, state }) => caps.importState(session, state['xep-0163-pep']));

    ctx.accountIdentity({ category: 'pubsub', type: 'pep' });
    // listed to the owner, whose client looks for PEP support; others just ask for items
    for (const f of [...OWNER_FEATURES, 'retrieve-items']) ctx.accountFeature(`${NS_PUBSUB}#${f}`);

    // XEP-0163 §7.3.1 / XEP-0030 §4: the account's nodes the requester may see
    ctx.accountItems(async (session, target) => {
      try {
        const r = await ctx.bus.request<PepNodesResult>(ProfileSubjects.nodes, { owner: target.bare, requester: session.bare } satisfies PepNodesQuery);
        return r.nodes.map((node) => x('item', { jid: target.bare, node }));
      } catch (e) {
        // disco#items has other contributors: without the profile service, no nodes are listed
        if (serviceError(e, 'profile service').condition === 'service-unavailable') return [];
        throw e;
      }
    });

    ctx.iq('get', 'account', NS_PUBSUB, pepIqHandler(ctx, 'get'));
    ctx.iq('set', 'account', NS_PUBSUB, pepIqHandler(ctx, 'set'));
    ctx.iq('set', 'account', NS_PUBSUB_OWNER, pepIqHandler(ctx, 'set'));
    ctx.iq('get', 'account', NS_PUBSUB_OWNER, pepIqHandler(ctx, 'get'));

    ctx.hook(
      CoreHooks.outboundPresence,
      ({ session, stanza, to }) => {
        if (to || stanza.attrs.type) return false;
        const c = capsOf(stanza);
        if (c) caps.seen(session, c);
        return false;
      },
      PEP_PRIORITY,
    );
    // the client's answers to our disco#info queries (addressed to the server)
    ctx.hook(
      CoreHooks.outbound,
      ({ session, stanza, to }) => {
        if (stanza.name !== 'iq' || to.jid.local || (stanza.attrs.type !== 'result' && stanza.attrs.type !== 'error')) return false;
        return caps.answer(session, stanza);
      },
      PEP_PRIORITY,
    );

    const sub = ctx.bus.subscribe<PepNotificationV1>(ProfileEvents.notify, (n) => {
      notifications.deliver(n);
    });
    // XEP-0163 §6.1.2: a new presence subscription is a new PEP subscription; the last items follow
    const subs = ctx.bus.subscribe<EventEnvelope<RosterItemUpdatedV1>>(RosterEvents.itemUpdated, (e) => {
      const u = e?.data;
      if (!u?.presence || (u.item?.subscription !== 'to' && u.item?.subscription !== 'both')) return;
      let p;
      try {
        p = parseXml(u.presence);
      } catch {
        return;
      }
      if (p.attrs.type !== 'subscribed' || !u.item.jid) return;
      for (const st of ctx.directory.resources(u.user)) {
        const s = st.session;
        const nodes = s && !s.closed && st.available ? [...caps.notifyNodes(s)] : [];
        if (nodes.length) void notifications.sendLast(s!, nodes, [u.item.jid]);
      }
    });
    ctx.onStop(() => {
      subs.unsubscribe();
      sub.unsubscribe();
      caps.stop();
    });

    return { notifyNodes: (s) => caps.notifyNodes(s) };
  },
});
