// XEP-0160: Best Practices for Handling Offline Messages (RFC 6121 §8.5.2.2), with
// XEP-0203 delay stamps and XEP-0013 flexible retrieval (flexible.ts).
//
// The offline service stores; this module decides what to hand it and delivers:
// - a `normal`/`chat` message for an existing account with no available resource of
//   non-negative priority (the router asks `hooks.offline`) is published on JetStream
//   (`offline.cmd.store` version 2, work queue OFFLINE_INBOX: the hand-offs of one
//   event-loop turn in one message, hand-off-batches.ts); a failed publish → <service-unavailable/>.
//   The sender's stream does not wait for the ack before its next message (publishes
//   on one NATS connection keep their order), but its next IQ, presence or XEP-0198
//   <r/> does (Session.continueWhile), as does a resumption's handled count and shutdown. Chat states alone are dropped
//   (XEP-0160 §3, XEP-0085 §5.5); `<no-store/>` (XEP-0334) is bounced <service-unavailable/>,
//   as RFC 6121 §8.5.2.2.1 asks for a normal/chat message it does not store.
// - when a session sends initial presence with non-negative priority (or raises a
//   negative priority to non-negative), the backlog is read page by page
//   (`offline.qry.pages`: the pages that sessions reading at once ask in one request;
//   with `<delay/>`), written in arrival order, and deleted
//   (`offline.cmd.ack`) once the write is confirmed (`Session.whenDelivered`: on the
//   socket, or XEP-0198's `<a/>` once it exists). Nothing is deleted before that, so a
//   crash of the gateway or the service loses nothing; the worst case is a message
//   shown twice (written, then the gateway died before the ack).
// - a message committed to the offline store while the user has an available session
//   here (the router saw none: the session was coming online on this or another
//   gateway) is announced by the offline service (`offline.ntf.stored`, core NATS): the
//   session reads the backlog again at once, skipping what it was already written, so
//   it arrives without waiting for the next login, exactly once per session. After a
//   bus reconnect (notices may have been missed) every available session reads again.
// - `offline.evt.delivery-failed` (quota, account deleted) is bounced to the sender by
//   exactly one gateway (shared durable consumer), never for an error message.
import { randomUUID } from 'node:crypto';
import {
  EventEnvelope,
  OFFLINE_EVENTS,
  OFFLINE_INBOX,
  OfflineDeletedResult,
  OfflineDeliveryFailedV1,
  OfflineEvents,
  OfflineFetchQuery,
  OfflineFetchResult,
  OfflinePagesQuery,
  OfflinePagesResult,
  MAX_PAGES_ENTRIES,
  OfflineIdsCommand,
  OfflineHandOffV2,
  OfflineSubjects,
  Durables,
  isOfflineStoredNoticeV1,
  OfflineNotices,
} from '@parley/contracts';
import { NS, StanzaError } from '@parley/stanza';
import { Element, x } from '@parley/xml';
import type { Logger } from 'pino';
import { CoreHooks, defineModule, ModuleContext, Session } from '../../host';
import { batchedOrEach, turnBatches } from '../../host/batches';
import { PRESENCE, PresenceHooks, presencePriority } from '../rfc6121-presence/api';
import { STREAM_MANAGEMENT } from '../xep-0198-sm/api';
import { registerFlexibleRetrieval } from './flexible';
import { FromStorage } from './from-storage';
import { HandOffBatches } from './hand-off-batches';
import { MODULE_NAME, OFFLINE_STATE, OfflineSessionState, offlineState } from './session-state';
import { offlineFacts, storedCopy } from './storable';

/** Hand-offs of one session waiting for their JetStream ack at once; past it the stream waits for each. */
const MAX_UNSETTLED_HAND_OFFS = 256;
/** Messages per `offline.qry.fetch` page when pushing the backlog. */
const FETCH_PAGE = 100;
/** Most ids per `offline.cmd.ack`. */
const ACK_CHUNK = 1000;
/**
 * After pushing a backlog, look once more this much later: a message handed off just
 * before the session became available may not have been committed when the backlog
 * was read (the hand-off is asynchronous), and would otherwise wait for the next login.
 */
const RECHECK_MS = 2000;
/** The one durable consumer all gateways share, so each delivery failure is bounced once. */
export const BOUNCE_DURABLE = Durables.gatewayOfflineBounces;
/** A failure older than this (gateways were all down) is not bounced any more: too late to be useful. */
const BOUNCE_MAX_AGE_MS = 60 * 60 * 1000;

/** A first page read at initial presence is not used past this (the presence never made the session available). */
const PREFETCH_FRESH_MS = 2000;
/** Sees broadcast presence before the presence module consumes it (priority changes). */
const OFFLINE_PRESENCE_PRIORITY = 100;

export const offlineModule = defineModule({
  name: MODULE_NAME,
  requires: [PRESENCE],
  uses: [STREAM_MANAGEMENT],
  async init(ctx) {
    const sm = ctx.tryUse(STREAM_MANAGEMENT);
    const log = ctx.log;
    await ctx.bus.ensureStreams([OFFLINE_INBOX, OFFLINE_EVENTS]);
    ctx.serverFeature(NS.msgoffline);
    const fromStorage = new FromStorage(ctx.domain, (session) => sm?.enabled(session) ?? false);
    registerFlexibleRetrieval(ctx, fromStorage);

    const batches = new HandOffBatches(ctx.bus);
    ctx.hook(CoreHooks.offline, ({ stanza, toBare, origin }) => handOff(ctx, log, fromStorage, batches, stanza, toBare, origin));

    const backlog = new Backlog(ctx, log, fromStorage);
    // after the roster's probes and pending requests
    ctx.hook(PresenceHooks.afterInitial, ({ session }) => backlog.push(session, { recheck: true }), 0);
    // XEP-0160 §2: "when the recipient next sends non-negative available presence" — also a
    // negative → non-negative change after initial presence. This must see the presence
    // before the presence module consumes it, hence first in line; it never consumes it.
    ctx.hook(
      CoreHooks.outboundPresence,
      ({ session, stanza: p, to }) => {
        // initial presence: the first page is read while the presence is handled (roster, probes), not after it
        if (!to && p.attrs.type === undefined && !session.available && presencePriority(p) >= 0) backlog.prefetch(session);
        if (!to && p.attrs.type === undefined && session.available && session.priority < 0) {
          const priority = presencePriority(p);
          if (priority >= 0) void backlog.push(session, { priority, recheck: true });
        }
        return false;
      },
      OFFLINE_PRESENCE_PRIORITY,
    );
    ctx.hook(CoreHooks.sessionClosed, ({ session }) => backlog.forget(session));

    // Stored while the user was (becoming) available here: deliver now, not at the next login.
    const localAvailable = (bare: string): Session[] =>
      ctx.directory.resources(bare).flatMap((r) => (r.session && !r.session.closed && r.session.available ? [r.session] : []));
    const stored = ctx.bus.subscribe<unknown>(OfflineNotices.stored, (n) => {
      if (!isOfflineStoredNoticeV1(n)) return void log.warn('malformed offline stored notice dropped');
      for (const s of localAvailable(n.u)) void backlog.push(s, { recheck: false });
    });
    ctx.onBusReconnect(() => {
      for (const s of ctx.directory.localSessions()) if (s.available && !s.closed) void backlog.push(s, { recheck: false });
    });
    ctx.onStop(() => stored.unsubscribe());
    ctx.hook(CoreHooks.sessionEnded, ({ session }) => fromStorage.sessionEnded(session));
    // XEP-0198 resumption on another gateway: what was written and not yet confirmed
    // moves with the session, and is deleted there once the client acknowledges it.
    ctx.hook(CoreHooks.sessionExport, ({ session, state }) => {
      const st = session.state.get(OFFLINE_STATE);
      state[MODULE_NAME] = { flexible: st?.flexible ?? false, pending: [...(st?.pending ?? [])], written: fromStorage.take(session) };
    });
    ctx.hook(CoreHooks.sessionMoved, ({ session }) => backlog.forget(session));
    ctx.hook(CoreHooks.sessionImport, ({ session, state }) => {
      const moved = state[MODULE_NAME] as { flexible?: unknown; pending?: unknown; written?: unknown } | undefined;
      if (!moved) return;
      const strings = (v: unknown) => (Array.isArray(v) ? v.filter((x): x is string => typeof x === 'string') : []);
      const st = offlineState(session);
      st.flexible = moved.flexible === true;
      const ids = strings(moved.pending);
      const keys = strings(moved.written);
      fromStorage.restore(session, keys);
      if (ids.length) backlog.adoptPending(session, st, ids, keys);
    });

    const bounces = await ctx.bus.consume<OfflineDeliveryFailedV1>({
      stream: OFFLINE_EVENTS,
      durable: BOUNCE_DURABLE,
      filterSubjects: [OfflineEvents.deliveryFailed],
      handler: (e) => bounceFailure(ctx, e),
    });
    ctx.onStop(() => bounces.stop());
  },
});

/** The `offline` hook: true when the message was handed to storage (or dropped / bounced here on purpose). */
async function handOff(ctx: ModuleContext<unknown>, log: Logger, fromStorage: FromStorage, batches: HandOffBatches, msg: Element, toBare: string, origin?: Session): Promise<boolean> {
  // XEP-0198 re-routing what an ended session never acknowledged: still stored, keep the one copy.
  if (fromStorage.isRerouted(msg)) return true;
  const facts = offlineFacts(msg);
  // The router asks only for chat/normal; anything else is not ours to store.
  if (facts.type !== 'normal' && facts.type !== 'chat') return false;
  if (facts.chatStateOnly) return true;
  if (facts.noStore) {
    ctx.router.bounce(msg, new StanzaError('service-unavailable', 'the recipient is offline and the message asked not to be stored'), 'no-store');
    return true;
  }
  const id = randomUUID();
  const data: OfflineHandOffV2 = {
    id,
    to: toBare,
    from: msg.attrs.from ?? ctx.domain,
    type: facts.type,
    stanzaId: msg.attrs.id,
    noStore: false,
    chatStateOnly: false,
    arrivedAt: new Date().toISOString(),
    stanza: storedCopy(msg, ctx.domain).toString(),
  };
  // the hand-offs of this turn (one read of the senders' sockets) leave in one JetStream message
  const published = batches.add(data);
  const failed = (e: unknown) => log.warn({ err: e, handOffId: id }, 'offline hand-off not acknowledged by JetStream; the sender gets service-unavailable');
  if (origin && !origin.closed && origin.unsettledWork < MAX_UNSETTLED_HAND_OFFS) {
    // Pipelined: the sender's stream goes on with its next messages while JetStream acks
    // this one (publishes on one connection keep their order); its next IQ, presence or
    // XEP-0198 <r/> waits for the ack (Session.continueWhile), shutdown too (router.hold).
    const work = published.catch((e: unknown) => {
      failed(e);
      ctx.router.bounce(msg, StanzaError.serviceUnavailable(), 'not-stored');
    });
    origin.continueWhile(work);
    ctx.router.hold(work);
    return true;
  }
  try {
    await published;
    return true;
  } catch (e) {
    failed(e);
    return false;
  }
}

/** Pushes stored messages to sessions (XEP-0160 "flood"), one delivery at a time per session. */
class Backlog {
  constructor(
    private readonly ctx: ModuleContext<unknown>,
    private readonly log: Logger,
    private readonly fromStorage: FromStorage,
  ) {}

  /**
   * Writes the session's backlog, in arrival order, when it should get one. Resolves
   * once every page is written; confirmation and deletion go on in the background (a
   * XEP-0198 confirmation needs stanzas that this session's processing may be holding).
   * `priority` overrides the session's (a presence not yet applied).
   */
  push(session: Session, o: { priority?: number; recheck: boolean }): Promise<void> {
    const st = offlineState(session);
    // A burst of notices for one user reads the backlog once more, not once per message.
    if (st.queued && o.priority === undefined && !o.recheck) return st.chain;
    st.queued = true;
    st.chain = st.chain
      .then(() => {
        st.queued = false;
        return this.flood(session, st, o.priority);
      })
      .catch((e) => this.log.error({ err: e }, 'offline backlog delivery failed'));
    if (o.recheck && this.eligible(session, st, o.priority)) {
      clearTimeout(st.recheck);
      st.recheck = setTimeout(() => {
        st.recheck = undefined;
        void this.push(session, { recheck: false });
      }, RECHECK_MS);
      st.recheck.unref();
    }
    return st.chain;
  }

  forget(session: Session): void {
    const st = session.state.get(OFFLINE_STATE);
    if (st?.recheck) clearTimeout(st.recheck);
    if (st) st.prefetched = undefined;
  }

  /** Starts reading the first page of a session's backlog that is about to become available (see {@link flood}). */
  prefetch(session: Session): void {
    const st = offlineState(session);
    if (st.prefetched || !this.eligible(session, st, 0, true)) return;
    st.prefetched = { at: Date.now(), page: this.pages.load({ user: session.bare }).catch(() => undefined) };
  }

  /** Stored messages written to a session on another gateway that moved here: delete them once the client acknowledges. */
  adoptPending(session: Session, st: OfflineSessionState, ids: string[], keys: string[]): void {
    for (const id of ids) st.pending.add(id);
    void this.confirmAndAck(session, st, ids, keys);
  }

  /** RFC 6121 §8.5.2.1.1 / XEP-0160 §2 / XEP-0013 §2.2: who gets the backlog pushed (`soon`: once its initial presence is applied). */
  private eligible(session: Session, st: OfflineSessionState, priority = session.priority, soon = false): boolean {
    if (session.closed || !(session.available || soon) || priority < 0 || st.flexible) return false;
    // XEP-0013 §2.2: not while another resource of the user retrieves flexibly (this instance's resources only).
    for (const r of this.ctx.directory.resources(session.bare)) {
      if (r.session && r.session !== session && r.session.state.get(OFFLINE_STATE)?.flexible) return false;
    }
    return true;
  }

  private fetch(user: string, after: string | undefined): Promise<OfflineFetchResult> {
    return this.ctx.bus.request<OfflineFetchResult>(OfflineSubjects.fetch, { user, after, limit: FETCH_PAGE, stampDelay: true } satisfies OfflineFetchQuery);
  }

  /**
   * Pages asked in one turn of the event loop (sessions coming online together, a login
   * storm, and then their next pages) come from one `offline.qry.pages`: one query in the
   * offline service.
   */
  private readonly pages = turnBatches<{ user: string; after?: string }, OfflineFetchResult>(
    (keys) =>
      batchedOrEach(
        keys,
        async (pages) => (await this.ctx.bus.request<OfflinePagesResult>(OfflineSubjects.pages, { pages, limit: FETCH_PAGE, stampDelay: true } satisfies OfflinePagesQuery)).pages,
        (key) => this.fetch(key.user, key.after),
      ),
    MAX_PAGES_ENTRIES,
  );

  private async flood(session: Session, st: OfflineSessionState, priority?: number): Promise<void> {
    // a first page read at initial presence is used once, by the delivery that follows it, or not at all
    const prefetched = st.prefetched && Date.now() - st.prefetched.at <= PREFETCH_FRESH_MS ? st.prefetched.page : undefined;
    st.prefetched = undefined;
    if (!this.eligible(session, st, priority)) return;
    const written: string[] = [];
    const keys: Array<string | undefined> = [];
    let after: string | undefined;
    try {
      do {
        const early = after === undefined && prefetched ? await prefetched : undefined;
        const page = early ?? (await this.pages.load({ user: session.bare, after }));
        if (!this.eligible(session, st, priority)) break;
        for (const m of page.messages) {
          if (st.pending.has(m.id)) continue;
          st.pending.add(m.id);
          session.send(m.stanza);
          written.push(m.id);
          keys.push(this.fromStorage.written(session, m));
        }
        after = page.next;
      } while (after);
    } catch (e) {
      // Login goes on; the messages stay stored and come at a later login.
      this.log.warn({ err: e }, 'offline messages could not be read; they stay stored');
    }
    if (written.length) void this.confirmAndAck(session, st, written, keys);
  }

  /** Deletes delivered messages once the client has them; until then they stay stored. */
  private async confirmAndAck(session: Session, st: OfflineSessionState, ids: string[], keys: Array<string | undefined>): Promise<void> {
    let confirmed = false;
    try {
      confirmed = await new Promise<boolean>((resolve) => session.whenDelivered(resolve));
    } catch (e) {
      this.log.error({ err: e }, 'delivery confirmation failed');
    }
    if (!confirmed) {
      // Not known to have arrived: they stay stored and come again at the next login.
      for (const id of ids) st.pending.delete(id);
      return;
    }
    this.fromStorage.confirmed(session, keys);
    try {
      for (let i = 0; i < ids.length; i += ACK_CHUNK) {
        await this.ctx.bus.request<OfflineDeletedResult>(OfflineSubjects.ack, { user: session.bare, ids: ids.slice(i, i + ACK_CHUNK) } satisfies OfflineIdsCommand);
      }
      // Deleted now; but a read queued or running since may have fetched them before the
      // deletion: forget them only once the reads on the chain so far are done.
      void st.chain.then(() => {
        for (const id of ids) st.pending.delete(id);
      });
    } catch (e) {
      // Kept in `pending`: not written to this session again; a later login gets them again.
      this.log.warn({ err: e, messages: ids.length }, 'delivered offline messages could not be deleted; they will be delivered again at the next login');
    }
  }
}

/** The error a sender gets for a message the offline service refused. */
function failureError(reason: OfflineDeliveryFailedV1['reason']): StanzaError {
  switch (reason) {
    case 'quota':
      return new StanzaError('resource-constraint', "the recipient is offline and their offline message storage is full; try again later", 'wait');
    case 'account-deleted':
      return new StanzaError('service-unavailable', 'the recipient account no longer exists');
    default:
      return new StanzaError('service-unavailable', 'the recipient is offline and the message cannot be stored');
  }
}

/** `offline.evt.delivery-failed` → an error message to the sender (RFC 6120 §8.3), never for an error. */
async function bounceFailure(ctx: ModuleContext<unknown>, e: EventEnvelope<OfflineDeliveryFailedV1>): Promise<void> {
  const f = e?.data;
  if (!f || typeof f.from !== 'string' || typeof f.to !== 'string' || f.messageType === 'error') return;
  const at = Date.parse(f.at ?? e.occurredAt);
  if (Number.isFinite(at) && Date.now() - at > BOUNCE_MAX_AGE_MS) return;
  const reply = x('message', { type: 'error', from: f.to, to: f.from, id: f.stanzaId }, failureError(f.reason).toElement());
  await ctx.router.route(reply);
}
