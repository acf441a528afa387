// XEP-0313: Message Archive Management (with XEP-0441 preferences and XEP-0359
// stanza ids), off until the user opts in. The archive service stores and answers;
// this module turns IQs into its requests, stamps archived messages with their
// stanza-id on the way through the router, and hands their content to the archive
// only for users whose preferences (a projection of ARCHIVE_PREFS) allow it.
import { AccountDeletedV1, EventEnvelope, GatewayEvents, RosterEvents, RosterGetQuery, RosterGetResult, RosterItemUpdatedV1, RosterSubjects } from '@parley/contracts';
import { NS_MAM, NS_MAM_EXTENDED, NS_SID } from '@parley/xep';
import type { GatewayModule } from '..';
import { Archiver, StorePublisher } from './archiver';
import { ArchivePrefsProjection, PrefsFeed } from './prefs-projection';
import { MamQueries } from './queries';
import { RosterMembership } from './roster-membership';

/** How long a roster lookup for archiving preferences may take before the peer counts as not in the roster. */
const ROSTER_TIMEOUT_MS = 2000;

export const mamModule: GatewayModule = {
  name: 'xep-0313-mam',
  async init(gw) {
    const log = gw.log.child({ module: 'xep-0313-mam' });
    const projection = new ArchivePrefsProjection();
    const roster = new RosterMembership((user) => gw.bus.request<RosterGetResult>(RosterSubjects.get, { user } satisfies RosterGetQuery, { timeoutMs: ROSTER_TIMEOUT_MS }), log);
    const publisher = new StorePublisher(gw.bus, log);
    const archiver = new Archiver({
      projection,
      inRoster: (user, peer) => roster.has(user, peer),
      publish: (cmd) => publisher.publish(cmd),
    });
    const queries = new MamQueries(gw.bus, log, (jid, prefs) => projection.applyLocal(jid, prefs));

    // XEP-0313 §7: the archive is at the account's bare JID; XEP-0359: stanza ids are assigned there.
    gw.registry.accountFeatures.add(NS_MAM).add(NS_MAM_EXTENDED).add(NS_SID);
    gw.registry.onIq('get', 'account', NS_MAM, (iq, session, target) => queries.get(iq, session, target));
    gw.registry.onIq('set', 'account', NS_MAM, (iq, session, target) => queries.set(iq, session, target));

    gw.hooks.outbound.push((_session, stanza) => archiver.outbound(stanza));
    gw.hooks.inbound.push((stanza, to) => archiver.inbound(stanza, to));
    gw.hooks.messageSent.push((session, stanza, dest) => archiver.sent(session, stanza, dest));

    const subs = [
      gw.bus.subscribe<EventEnvelope<AccountDeletedV1>>(GatewayEvents.accountDeleted, (e) => {
        if (typeof e?.data?.jid !== 'string') return;
        projection.forget(e.data.jid);
        roster.forget(e.data.jid);
      }),
      // Core NATS sees JetStream publishes too: enough to keep a cache current.
      gw.bus.subscribe<EventEnvelope<RosterItemUpdatedV1>>(RosterEvents.itemUpdated, (e) => {
        if (e?.data) roster.itemUpdated(e.data);
      }),
    ];
    const feed = new PrefsFeed(gw.bus, projection, log);
    gw.onStop(async () => {
      for (const s of subs) s.unsubscribe();
      await feed.stop();
      await publisher.drain();
    });
    await feed.start();
  },
};
