// XEP-0313: Message Archive Management (with XEP-0441 preferences and XEP-0359
// stanza ids), off until the user opts in. The archive service stores and answers;
// this module turns IQs into its requests, stamps archived messages with their
// stanza-id on the way through the router, and hands their content to the archive
// only for users whose preferences (a projection of ARCHIVE_PREFS) allow it.
import { AccountDeletedV1, EventEnvelope, GatewayEvents, RosterEvents, RosterGetQuery, RosterGetResult, RosterItemUpdatedV1, RosterSubjects } from '@parley/contracts';
import { NS_MAM, NS_MAM_EXTENDED, NS_SID } from '@parley/xep';
import { CoreHooks, defineModule } from '../../host';
import { MAM_PRIORITY } from './api';
import { Archiver, StorePublisher } from './archiver';
import { ArchivePrefsProjection, PrefsFeed } from './prefs-projection';
import { MamQueries } from './queries';
import { RosterMembership } from './roster-membership';

/** How long a roster lookup for archiving preferences may take before the peer counts as not in the roster. */
const ROSTER_TIMEOUT_MS = 2000;

export const mamModule = defineModule({
  name: 'xep-0313-mam',
  async init(ctx) {
    const log = ctx.log;
    const projection = new ArchivePrefsProjection();
    const roster = new RosterMembership((user) => ctx.bus.request<RosterGetResult>(RosterSubjects.get, { user } satisfies RosterGetQuery, { timeoutMs: ROSTER_TIMEOUT_MS }), log);
    const publisher = new StorePublisher(ctx.bus, log);
    const archiver = new Archiver({
      projection,
      inRoster: (user, peer) => roster.has(user, peer),
      publish: (cmd) => publisher.publish(cmd),
      reachable: (domain) => ctx.router.reachable(domain),
    });
    const queries = new MamQueries(ctx.bus, log, (jid, prefs) => projection.applyLocal(jid, prefs));

    // XEP-0313 §7: the archive is at the account's bare JID; XEP-0359: stanza ids are assigned there.
    for (const ns of [NS_MAM, NS_MAM_EXTENDED, NS_SID]) ctx.accountFeature(ns);
    ctx.iq('get', 'account', NS_MAM, (iq, session, target) => queries.get(iq, session, target));
    ctx.iq('set', 'account', NS_MAM, (iq, session, target) => queries.set(iq, session, target));

    ctx.hook(CoreHooks.inbound, ({ stanza, to, origin, data }) => archiver.inbound(stanza, to, origin !== undefined, data), MAM_PRIORITY);
    ctx.hook(CoreHooks.messageSent, ({ session, stanza, to, data }) => archiver.sent(session, stanza, to, data), MAM_PRIORITY);

    const subs = [
      ctx.bus.subscribe<EventEnvelope<AccountDeletedV1>>(GatewayEvents.accountDeleted, (e) => {
        if (typeof e?.data?.jid !== 'string') return;
        projection.forget(e.data.jid);
        roster.forget(e.data.jid);
      }),
      // Core NATS sees JetStream publishes too: enough to keep a cache current.
      ctx.bus.subscribe<EventEnvelope<RosterItemUpdatedV1>>(RosterEvents.itemUpdated, (e) => {
        if (e?.data) roster.itemUpdated(e.data);
      }),
    ];
    const feed = new PrefsFeed(ctx.bus, projection, log);
    ctx.onStop(async () => {
      for (const s of subs) s.unsubscribe();
      await feed.stop();
      await publisher.drain();
    });
    await feed.start();
  },
});
