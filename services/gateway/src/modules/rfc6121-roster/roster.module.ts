// RFC 6121: Instant Messaging and Presence — the roster (§2, roster-iq.ts),
// presence subscriptions (§3 and Appendix A, pre-approval §3.4; subscriptions.ts)
// and roster-driven presence (§4: whom a user's broadcast presence reaches, probes
// at login, pending requests; roster-presence.ts), over what this gateway keeps of
// its users' rosters (rosters.ts). The roster service keeps the state and decides
// (Appendix A); this module turns its answers and events into stanzas.
import { EventEnvelope, RosterEvents, RosterItemUpdatedV1, RosterUserErasedV1, SubscriptionPresenceV1 } from '@parley/contracts';
import { NS } from '@parley/stanza';
import { x } from '@parley/xml';
import { CoreHooks, defineModule } from '../../host';
import { PRESENCE, PresenceHooks } from '../rfc6121-presence/api';
import { BLOCKING, BlockingHooks } from '../xep-0191-blocking/api';
import { RosterIq } from './roster-iq';
import { RosterPresence } from './roster-presence';
import { NAME, Rosters } from './rosters';
import { Subscriptions } from './subscriptions';

/** After presence and blocking have seen a client's presence; before the archive sees inbound stanzas. */
const ROSTER_PRIORITY = 30;

export const rosterModule = defineModule({
  name: NAME,
  requires: [PRESENCE],
  uses: [BLOCKING],
  init(gw) {
    const rosters = new Rosters(gw, gw.tryUse(BLOCKING));
    const presence = new RosterPresence(rosters);
    const subscriptions = new Subscriptions(rosters, presence);
    const iq = new RosterIq(rosters, presence);

    gw.streamFeature(() => x('ver', { xmlns: NS.rosterver }));
    gw.streamFeature(() => x('sub', { xmlns: NS.preApproval }));
    gw.iq('get', 'account', NS.roster, iq.rosterGet);
    gw.iq('set', 'account', NS.roster, iq.rosterSet);

    gw.hook(CoreHooks.sessionBound, ({ session }) => rosters.bound(session), ROSTER_PRIORITY);
    gw.hook(CoreHooks.sessionClosed, ({ session }) => rosters.closed(session), ROSTER_PRIORITY);
    // XEP-0198 resumption on another gateway: the session keeps its roster pushes and is
    // not probed again; the user's roster is loaded there (no presence goes out for it)
    gw.hook(CoreHooks.sessionExport, ({ session, state }) => {
      const rs = rosters.state(session);
      state[NAME] = { requested: rs?.requested === true, initialDone: rs?.initialDone === true };
    });
    gw.hook(CoreHooks.sessionMoved, ({ session }) => rosters.closed(session), ROSTER_PRIORITY);
    gw.hook(CoreHooks.sessionImport, ({ session, state }) => {
      const moved = state[NAME] as { requested?: unknown; initialDone?: unknown } | undefined;
      const rs = rosters.state(session);
      if (!rs || !moved) return;
      rs.requested = moved.requested === true;
      rs.initialDone = moved.initialDone === true;
      if (session.available) void rosters.login(session, rs);
    });
    gw.hook(CoreHooks.outboundPresence, ({ session, stanza, to }) => rosters.guard(() => subscriptions.outboundPresence(session, stanza, to), true), ROSTER_PRIORITY);
    gw.hook(CoreHooks.inbound, ({ stanza, to }) => rosters.guard(() => subscriptions.inbound(stanza, to), true), ROSTER_PRIORITY);
    gw.hook(CoreHooks.peerGone, ({ instanceId, dropped }) => presence.peerGone(instanceId, dropped));
    gw.hook(CoreHooks.peerBack, ({ added }) => presence.peerBack(added));

    gw.hook(
      PresenceHooks.broadcastTargets,
      async (e) => {
        e.targets.push(...(await presence.broadcastTargets(e.session)));
      },
      ROSTER_PRIORITY,
    );
    gw.hook(PresenceHooks.afterInitial, ({ session }) => rosters.guard(() => presence.afterInitial(session), undefined), ROSTER_PRIORITY);
    // XEP-0191 §3.4: the presence contacts are owed after an unblock
    gw.hook(BlockingHooks.unblocked, async ({ user, sendPresenceTo, probe }) => {
      if (sendPresenceTo.length) await presence.relay.dispatch(sendPresenceTo.map((t) => ({ k: 'send', u: user, t })));
      if (probe.length) await presence.probe(user, probe);
    });

    presence.relay.start();
    const subs = [
      gw.bus.subscribe<EventEnvelope<RosterItemUpdatedV1>>(RosterEvents.itemUpdated, (e) => iq.itemUpdated(e.data)),
      gw.bus.subscribe<EventEnvelope<SubscriptionPresenceV1>>(RosterEvents.subscriptionPresence, (e) => subscriptions.subscriptionPresence(e.data)),
      // one gateway (queue group) routes what a deleted user owes contacts elsewhere
      gw.bus.subscribe<EventEnvelope<RosterUserErasedV1>>(RosterEvents.userErased, (e) => subscriptions.userErased(e.data), { queue: 'gateway-roster' }),
    ];
    gw.onStop(() => {
      presence.relay.stop();
      for (const s of subs) s.unsubscribe();
    });
  },
});
