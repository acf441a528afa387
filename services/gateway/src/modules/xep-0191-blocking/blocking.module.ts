// XEP-0191: Blocking Command. The block list lives in the roster service; this
// module answers the protocol (block list get, block, unblock, unblock-all, pushes
// to the resources that asked for the list) and enforces the list in the gateway
// (§3.3): stanzas from a blocked JID are dropped, or answered service-unavailable
// (messages, IQ get/set); stanzas to one are refused with not-acceptable and
// <blocked xmlns='urn:xmpp:blocking:errors'/>. Checks read lists held in memory
// (see block-lists.ts): no bus round trip per stanza.
import {
  BlockCommand,
  BlocklistChangedV1,
  BlocklistQuery,
  BlocklistResult,
  BlocklistsQuery,
  BlocklistsResult,
  BlockResult,
  MAX_BLOCKLISTS_PER_QUERY,
  BlocklistLoadedV1,
  EventEnvelope,
  isBlocklistLoadedV1,
  GatewaySubjects,
  RosterEvents,
  RosterSubjects,
  UnblockAllCommand,
  UnblockCommand,
  UnblockResult,
} from '@parley/contracts';
import { errorReply, NS, StanzaError } from '@parley/stanza';
import { Element, x } from '@parley/xml';
import { bareOf } from '@parley/jid';
import { blockingCommand, isBlocked } from '@parley/xep';
import { CoreHooks, defineModule, defineSlot, Destination, HANDLED, serviceError, Session } from '../../host';
import { batchedOrEach, turnBatches } from '../../host/batches';
import { PRESENCE } from '../rfc6121-presence/api';
import { BLOCKING, BlockingApi, BlockingHooks, blockedError } from './api';
import { BlockLists } from './block-lists';

const NAME = 'xep-0191-blocking';

/**
 * Core NATS, between gateway instances: a user's block list as loaded at login
 * (`{i: instanceId, u: user, b: blocked}`), so that peers enforce it without asking.
 */
export const BLOCKLIST_LOADED_SUBJECT = GatewaySubjects.blocklistLoaded;

/** Cache bounds for lists of users with no session on this gateway. */
const CACHE = { maxCached: 10_000, ttlMs: 10 * 60_000, announceQuietMs: 30_000, retryAfterMs: 2_000 };

/** Hook priority: before the roster module, so a blocked contact's presence never reaches it. */
export const BLOCKING_PRIORITY = 40;

interface SessionState {
  /** Asked for the block list: gets pushes (§3.3-3.5). */
  requested: boolean;
  /** Pushes held while a block list get is answered. */
  holding?: BlocklistChangedV1[];
}

const STATE = defineSlot<SessionState>(NAME);
const sessionState = (s: Session): SessionState => s.state.ensure(STATE, () => ({ requested: false }));

function payloadOf(iq: Element): Element {
  const p = iq.children.find((c): c is Element => typeof c !== 'string');
  if (!p) throw StanzaError.badRequest();
  return p;
}

export const blockingModule = defineModule<BlockingApi>({
  name: NAME,
  provides: BLOCKING,
  uses: [PRESENCE],
  init(ctx) {
    const presence = ctx.tryUse(PRESENCE);
    const lists = new BlockLists(CACHE);
    let pushIds = 0;
    const pushOf = (s: Session, c: BlocklistChangedV1): Element => x('iq', { type: 'set', id: `blk${++pushIds}`, to: s.full }, blockingCommand.pushToElement(c.action, c.jids));
    const fetchList = (user: string) => ctx.bus.request<BlocklistResult>(RosterSubjects.blocklist, { user } satisfies BlocklistQuery);
    // Lists asked for in one turn of the event loop (a burst of messages to offline
    // recipients, many logins) go to the roster service as one query.
    const fetchLists = turnBatches<string, string[]>(
      (keys) =>
        batchedOrEach(
          keys,
          async (users) => (await ctx.bus.request<BlocklistsResult>(RosterSubjects.blocklists, { users } satisfies BlocklistsQuery)).blocked,
          async (user) => (await fetchList(user)).blocked,
        ),
      MAX_BLOCKLISTS_PER_QUERY,
    );
    const api: BlockingApi = {
      lists,
      listOf: (user) => lists.get(user, () => fetchLists.load(user)),
      trackLogin: async (user, request) => {
        const answer = await lists.track(user, request, (a) => a.blocked);
        ctx.bus.publish(BLOCKLIST_LOADED_SUBJECT, { i: ctx.instanceId, u: user, b: [...(lists.known(user)?.jids ?? answer.blocked)] } satisfies BlocklistLoadedV1);
        return answer;
      },
    };
    ctx.serverFeature(NS.blocking);
    ctx.accountFeature(NS.blocking);

    const localSessions = (bare: string): Session[] => ctx.directory.resources(bare).flatMap((r) => (r.session && !r.session.closed ? [r.session] : []));
    const own = (session: Session, target: { bare: string }) => {
      if (target.bare !== session.bare) throw StanzaError.forbidden('only your own block list');
    };
    const release = (s: Session, st: SessionState) => {
      const held = st.holding ?? [];
      st.holding = undefined;
      for (const c of held) s.send(pushOf(s, c));
    };
    // the user's own account and the server itself are never blocked (a domain entry would otherwise cut the user off)
    const exempt = (session: Session, to: Destination) => to.jid.bareString === session.bare || (to.local && !to.jid.local);
    const unavailableTo = async (user: string, to: string) => {
      for (const r of ctx.directory.resources(user)) {
        if (r.available) await ctx.router.route(x('presence', { type: 'unavailable', from: `${user}/${r.resource}`, to }));
      }
    };

    // §3.2: the block list
    ctx.iq('get', 'account', NS.blocking, async (iq, session, target): Promise<typeof HANDLED> => {
      own(session, target);
      blockingCommand.fromElement('get', payloadOf(iq));
      const st = sessionState(session);
      st.requested = true;
      st.holding ??= [];
      let blocked: string[];
      try {
        blocked = (await lists.track(session.bare, () => fetchList(session.bare), (r) => r.blocked)).blocked;
      } catch (e) {
        release(session, st);
        throw serviceError(e, 'roster service');
      }
      session.send(x('iq', { type: 'result', id: iq.attrs.id, to: session.full }, blockingCommand.blocklistToElement(blocked)));
      release(session, st);
      return HANDLED;
    });

    // §3.3-3.5: block, unblock, unblock all
    ctx.iq('set', 'account', NS.blocking, async (iq, session, target): Promise<typeof HANDLED> => {
      own(session, target);
      const req = blockingCommand.fromElement('set', payloadOf(iq));
      const user = session.bare;
      const result = () => session.send(x('iq', { type: 'result', id: iq.attrs.id, to: session.full }));
      if (req.kind === 'block') {
        const jids = req.jids;
        let res: BlockResult;
        try {
          res = await ctx.bus.request<BlockResult>(RosterSubjects.block, { user, jids } satisfies BlockCommand);
        } catch (e) {
          throw serviceError(e, 'roster service');
        }
        lists.applyLocal(user, 'block', res.blocked);
        result();
        for (const to of res.sendUnavailableTo) await unavailableTo(user, to);
        return HANDLED;
      }
      if (req.kind === 'unblock') {
        const jids = req.jids;
        let res: UnblockResult;
        try {
          res = jids.length
            ? await ctx.bus.request<UnblockResult>(RosterSubjects.unblock, { user, jids } satisfies UnblockCommand)
            : await ctx.bus.request<UnblockResult>(RosterSubjects.unblockAll, { user } satisfies UnblockAllCommand);
        } catch (e) {
          throw serviceError(e, 'roster service');
        }
        lists.applyLocal(user, jids.length ? 'unblock' : 'unblock-all', res.unblocked);
        result();
        if (res.sendPresenceTo.length || res.probe.length) await ctx.fire.serial(BlockingHooks.unblocked, { user, sendPresenceTo: res.sendPresenceTo, probe: res.probe });
        return HANDLED;
      }
      throw StanzaError.badRequest('expected <block/> or <unblock/>');
    });

    ctx.hook(CoreHooks.sessionBound, ({ session }) => lists.pin(session.bare), BLOCKING_PRIORITY);
    ctx.hook(CoreHooks.sessionClosed, ({ session }) => lists.unpin(session.bare), BLOCKING_PRIORITY);
    ctx.hook(CoreHooks.sessionMoved, ({ session }) => lists.unpin(session.bare), BLOCKING_PRIORITY);
    // XEP-0198 resumption on another gateway: a session that asked for the list keeps its pushes
    ctx.hook(CoreHooks.sessionExport, ({ session, state }) => {
      state[NAME] = { requested: session.state.get(STATE)?.requested === true };
    });
    ctx.hook(CoreHooks.sessionImport, ({ session, state }) => {
      if ((state[NAME] as { requested?: unknown } | undefined)?.requested === true) sessionState(session).requested = true;
    });

    // Outbound (§3.3): nothing reaches a JID the user blocks. Presence is looked at
    // here, before the roster module sends subscriptions and probes on.
    ctx.hook(
      CoreHooks.outboundPresence,
      async ({ session, stanza: p, to }) => {
        if (!to || exempt(session, to)) return false;
        const list = lists.known(session.bare) ?? (await api.listOf(session.bare));
        const dest = to.jid.toString();
        if (!list?.covers(dest)) return false;
        presence?.forgetDirected(session, dest);
        const type = p.attrs.type;
        if (type !== 'unavailable' && type !== 'error') session.send(errorReply(p, blockedError(), { from: dest }));
        return true;
      },
      BLOCKING_PRIORITY,
    );
    ctx.hook(CoreHooks.outbound, async ({ session, stanza, to }) => {
      if (stanza.name === 'presence' || exempt(session, to)) return false;
      const list = lists.known(session.bare) ?? (await api.listOf(session.bare));
      const dest = to.jid.toString();
      if (!list?.covers(dest)) return false;
      const type = stanza.attrs.type;
      if (type !== 'error' && type !== 'result') session.send(errorReply(stanza, blockedError(), { from: dest }));
      return true;
    }, BLOCKING_PRIORITY);

    // Inbound (§3.3): a list not held here is fetched only for stanzas that would
    // reach the user (an unknown list blocks nothing when the roster service is down).
    const worthFetching = (stanza: Element, user: string): boolean => {
      const type = stanza.attrs.type;
      if (stanza.name === 'message') return type !== 'error';
      if (stanza.name === 'iq') return type === 'get' || type === 'set';
      if (type && type !== 'unavailable') return false; // subscriptions: the roster service checks; probes: the answering gateway does
      return ctx.directory.resources(user).some((r) => r.available);
    };
    ctx.hook(CoreHooks.inbound, async ({ stanza, to }) => {
      const from = stanza.attrs.from;
      if (!from) return false;
      const user = to.jid.bareString;
      const fromBare = bareOf(from);
      if (fromBare === user || fromBare === ctx.domain) return false;
      let list = lists.known(user);
      if (list === undefined) {
        if (!worthFetching(stanza, user)) return false;
        list = await api.listOf(user);
        if (!list) return false;
      }
      if (!list.covers(from)) return false;
      const type = stanza.attrs.type;
      if (stanza.name === 'message' || (stanza.name === 'iq' && (type === 'get' || type === 'set'))) ctx.router.bounce(stanza, StanzaError.serviceUnavailable(), 'blocked');
      return true;
    }, BLOCKING_PRIORITY);

    const subs = [
      ctx.bus.subscribe<EventEnvelope<BlocklistChangedV1>>(RosterEvents.blocklistChanged, (e) => {
        const c = e.data;
        if (!c || typeof c.user !== 'string' || !Array.isArray(c.jids)) return;
        lists.onChange(c);
        for (const s of localSessions(c.user)) {
          const st = s.state.get(STATE);
          if (st?.requested) {
            if (st.holding) st.holding.push(c);
            else s.send(pushOf(s, c));
          }
          if (c.action !== 'block') continue;
          // directed presence (RFC 6121 §4.6) to a newly blocked JID ends with unavailable
          for (const d of [...(presence?.directedTo(s) ?? [])]) {
            if (!isBlocked(c.jids, d)) continue;
            presence?.forgetDirected(s, d);
            void ctx.router.route(x('presence', { type: 'unavailable', from: s.full, to: d })).catch((err) => ctx.log.warn({ err }, 'unavailable to a blocked JID failed'));
          }
        }
      }),
      ctx.bus.subscribe<unknown>(BLOCKLIST_LOADED_SUBJECT, (m) => {
        if (!isBlocklistLoadedV1(m)) return void ctx.log.warn('malformed block-list announcement dropped');
        if (m.i !== ctx.instanceId) lists.announced(m.u, m.b);
      }),
    ];
    // Changes may have been missed while NATS was unreachable: forget what is not pinned.
    ctx.onBusReconnect(() => lists.dropUnpinned());
    ctx.onStop(() => {
      for (const s of subs) s.unsubscribe();
    });
    return api;
  },
});

