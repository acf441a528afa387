// XEP-0198: Stream Management — acknowledgements (<r/>, <a/>) and resumption.
// A session whose connection drops without a closing handshake stays bound, its
// stanzas queued, for up to SM_RESUME_TIMEOUT; a new connection of the same user
// may take it over with <resume/> — on any gateway instance: the SM-ID names the
// instance that holds the session, and the one the client reconnected to asks it for
// a handoff (gateway.cmd.sm-handoff.<instance>): the session, its counters, its
// unacknowledged stanzas and each module's state move over, and the old instance
// remembers where it went for as long as it could be resumed. Stanzas never
// acknowledged when a session ends are routed again (other resources, or offline
// storage), so nothing is lost.
import { encodeJson, ReplyException } from '@parley/nats';
import { GatewaySubjects, isSmHandoffQueryV1, isSmHandoffResultV1, SmHandoffQueryV1, SmHandoffResultV1, SmHandoffStateV1 } from '@parley/contracts';
import { opt } from '@parley/config';
import { NS, StreamError } from '@parley/stanza';
import { Element, parseXml, x } from '@parley/xml';
import { CoreHooks, defineModule, defineSlot, ModuleContext, OutputStage, PreBindStream, Session, SessionTransport, SlotMap } from '../../host';
import { randomToken } from '../../host/random-token';
import { STREAM_MANAGEMENT } from './api';

/** Ask for an acknowledgement once this many stanzas are pending. */
const REQUEST_EVERY = 10;
/** ... or after this long with any pending. */
const REQUEST_AFTER_MS = 2000;
/** Innermost output stage: it counts what actually goes to the client. */
const SM_OUTPUT_PRIORITY = 10;
/** Before other modules' `sessionEnded` work (offline storage recognises the re-routed copies). */
const SM_ENDED_PRIORITY = 1000;

const hibernating: SessionTransport = { hibernating: true, secure: true, write() {}, close() {} };

/** One session's XEP-0198 state, and its output stage. */
class Managed implements OutputStage {
  /** Stanzas received from the client since enabling (the server's h). */
  inbound = 0;
  /** Stanzas sent to the client since enabling. */
  outbound = 0;
  /** Last h the client acknowledged. */
  acked = 0;
  /** Serialized stanzas sent and not yet acknowledged, oldest first. */
  unacked: string[] = [];
  /** An <r/> is out and not answered. */
  requested = false;
  /** Waiting for resumption: nothing is written. */
  away = false;
  private timer?: NodeJS.Timeout;
  /** Ends a hibernating session whose queue reached the limit. */
  overflow?: () => void;
  private confirmations: Array<{ upTo: number; cb: (delivered: boolean) => void }> = [];

  constructor(
    readonly session: Session,
    readonly id: string,
    readonly resumable: boolean,
    /** Seconds a detached session waits for resumption. */
    readonly max: number,
    /** Unacknowledged stanzas it may hold (SM_MAX_UNACKED). */
    private readonly limit: number,
  ) {}

  /** While hibernating: hands a message to durable storage instead of this queue (true when it took it). */
  park?: (xml: string) => boolean;

  send(xml: string, next: (xml: string) => void): void {
    if (this.away && this.park?.(xml)) return;
    this.queue(xml, next);
  }

  /** Counts and keeps a stanza until acknowledged, and writes it unless the session hibernates. */
  queue(xml: string, next: (xml: string) => void): void {
    this.outbound += 1;
    this.unacked.push(xml);
    if (this.away) {
      // a hibernating session that fills up ends: what it holds is routed again (offline storage)
      if (this.unacked.length >= this.limit) this.overflow?.();
      return;
    }
    next(xml);
    this.requestAckSoon();
  }

  whenDelivered(cb: (delivered: boolean) => void): boolean {
    if (this.acked >= this.outbound) queueMicrotask(() => cb(true));
    else this.confirmations.push({ upTo: this.outbound, cb });
    return true;
  }

  /** Asks the client for an acknowledgement when stanzas are pending. */
  requestAckSoon(): void {
    const session = this.session;
    if (this.requested) return;
    if (this.unacked.length >= this.limit) {
      session.close(new StreamError('resource-constraint', 'too many unacknowledged stanzas'));
      return;
    }
    const ask = () => {
      this.timer = undefined;
      if (this.requested || this.unacked.length === 0 || session.closed) return;
      this.requested = true;
      session.writeNonza(`<r xmlns='${NS.sm}'/>`);
    };
    if (this.unacked.length >= REQUEST_EVERY) {
      if (this.timer) clearTimeout(this.timer);
      ask();
    } else if (!this.timer) {
      this.timer = setTimeout(ask, REQUEST_AFTER_MS);
      this.timer.unref();
    }
  }

  /** Applies the client's `<a h/>` (XEP-0198 §4): drops acknowledged stanzas, runs confirmations. */
  acknowledge(h: number): boolean {
    const newly = (h - this.acked) >>> 0;
    if (newly > this.unacked.length) return false; // acknowledges stanzas never sent
    this.unacked.splice(0, newly);
    this.acked = h >>> 0;
    if (this.confirmations.length) {
      const due = this.confirmations.filter((c) => c.upTo <= this.acked);
      this.confirmations = this.confirmations.filter((c) => c.upTo > this.acked);
      for (const c of due) c.cb(true);
    }
    return true;
  }

  /** Fails pending confirmations (the session ended without an acknowledgement). */
  failConfirmations(): void {
    const pending = this.confirmations;
    this.confirmations = [];
    for (const c of pending) c.cb(false);
  }
}

const STATE = defineSlot<Managed>('xep-0198-sm');

/** Hops a resumption follows through instances the session moved on from. */
const MAX_HANDOFF_HOPS = 3;
/** How long the instance where a client resumes waits for the holder's answer. */
const HANDOFF_TIMEOUT_MS = 5000;
/** How long to wait for any instance to say it holds a session. */
const LOCATE_TIMEOUT_MS = 2000;

/** The instance an SM-ID names (`<random>.<instance id>`). */
function holderOf(id: string): string | undefined {
  const dot = id.indexOf('.');
  return dot > 0 && dot < id.length - 1 ? id.slice(dot + 1) : undefined;
}

class StreamManagement {
  private readonly resumable = new Map<string, Managed>();
  private readonly timers = new Map<string, NodeJS.Timeout>();
  /** SM-IDs of sessions handed to another instance, and until when they could be resumed. */
  private readonly forwards = new Map<string, { to: string; until: number }>();

  constructor(
    private readonly ctx: ModuleContext,
    private readonly resumeTimeoutMs: number,
    private readonly maxUnacked: number,
  ) {}

  /** Every session with stream management on this instance (for the metrics). */
  private readonly managed = new Set<Managed>();

  /** Sessions with stream management, those waiting for resumption, and the stanzas they hold unacknowledged. */
  stats(): { sessions: number; hibernating: number; unacked: number } {
    let hibernating = 0;
    let unacked = 0;
    for (const m of this.managed) {
      if (m.away) hibernating += 1;
      unacked += m.unacked.length;
    }
    return { sessions: this.managed.size, hibernating, unacked };
  }

  private track(sm: Managed): void {
    this.managed.add(sm);
    sm.park = (xml) => this.park(sm, xml);
    sm.overflow = () => {
      sm.overflow = undefined;
      this.ctx.log.warn({ held: sm.unacked.length }, 'a session waiting for resumption reached SM_MAX_UNACKED; it ends and what it holds is routed again');
      queueMicrotask(() => this.ctx.sessions.unbind(sm.session, 'resume-overflow'));
    };
  }

  /**
   * A message for a session waiting for resumption goes to offline storage (durable,
   * acknowledged by JetStream) rather than this process's memory: the offline module
   * hands it straight back to the waiting session (the stored notice), which queues it
   * and deletes it from storage only once the client acknowledges it. If this gateway
   * dies before the client resumes, the message is still stored for the next login.
   * Copies already from storage, carbons, archive results and other types stay in the
   * queue; when storage refuses or fails, the message is queued here as before.
   */
  private park(sm: Managed, xml: string): boolean {
    if (!xml.startsWith('<message')) return false;
    let el: Element;
    try {
      el = parseXml(xml);
    } catch {
      return false;
    }
    const type = el.attrs.type ?? 'normal';
    if (type !== 'chat' && type !== 'normal') return false;
    if (el.getChild('received', NS.carbons) || el.getChild('sent', NS.carbons) || el.getChild('result', NS.mam)) return false;
    if (el.getChildren('delay').some((d) => d.attrs.xmlns === NS.delay && d.attrs.from === this.ctx.domain)) return false; // a stored copy
    const session = sm.session;
    void this.ctx.fire
      .until(CoreHooks.offline, { stanza: el, toBare: session.bare, data: new SlotMap() })
      .then(
        (stored) => stored,
        (e) => {
          this.ctx.log.warn({ err: (e as Error).message }, 'a message for a session waiting for resumption could not be stored; kept in memory');
          return false;
        },
      )
      .then((stored) => {
        if (stored) return;
        if (session.closed) {
          // the session ended meanwhile: the message goes where the user is now
          el.attrs.to = session.bare;
          void this.ctx.router.route(el).catch((e) => this.ctx.log.error({ err: e }, 're-routing a message failed'));
        } else if (sm.away) sm.queue(xml, () => undefined);
        else session.send(xml);
      });
    return true;
  }

  /** Answers handoff requests for the sessions of this instance. */
  serveHandoffs(): { unsubscribe(): void } {
    return this.ctx.bus.serve<unknown, SmHandoffResultV1>(GatewaySubjects.smHandoff(this.ctx.instanceId), (q) => this.handOff(q), { queue: 'sm-handoff' });
  }

  /**
   * Another instance asks for one of this instance's sessions (its client sent
   * `<resume/>` there): the old connection, if still open, is told `<conflict/>`, held
   * stanzas (XEP-0352) join the unacknowledged ones, each module exports its state,
   * and the session leaves quietly (no unavailable presence, no re-routing).
   */
  private async handOff(q: unknown): Promise<SmHandoffResultV1> {
    if (!isSmHandoffQueryV1(q)) return { failed: 'item-not-found' };
    // The handled count goes with the state: the session's unsettled hand-offs settle first (Session.continueWhile).
    const waiting = this.resumable.get(q.id)?.session;
    if (waiting && waiting.unsettledWork > 0) await waiting.settled();
    this.pruneForwards();
    const fwd = this.forwards.get(q.id);
    if (fwd) return { moved: fwd.to };
    const sm = this.resumable.get(q.id);
    const session = sm?.session;
    if (!sm || !session || session.closed || session.bare !== q.bare) return { failed: 'item-not-found' };
    if (!sm.acknowledge(q.h)) return { failed: 'unexpected-request' };
    const previous = session.reattach(hibernating);
    sm.away = true;
    if (!previous.hibernating) {
      previous.detach?.();
      previous.close(new StreamError('conflict', 'the session was resumed on another connection'));
    }
    this.ctx.log.info({ to: q.by }, 'stream-management session handed to another gateway');
    return { state: this.moveOut(sm, q.by) };
  }

  /**
   * Takes a session waiting for resumption out of this instance: held stanzas (XEP-0352)
   * join the unacknowledged ones, each module exports its state, and the session leaves
   * quietly (no unavailable presence, no re-routing). `to`: where it goes, if known.
   */
  private moveOut(sm: Managed, to: string | undefined): SmHandoffStateV1 {
    const session = sm.session;
    const t = this.timers.get(sm.id);
    if (t) clearTimeout(t);
    this.timers.delete(sm.id);
    session.flushOutput();
    const carbons = this.ctx.directory.resource(session.bare, session.jid.resource)?.carbons ?? false;
    const modules = this.ctx.sessions.moveOut(session);
    this.managed.delete(sm);
    sm.failConfirmations();
    this.resumable.delete(sm.id);
    if (to) this.forwards.set(sm.id, { to, until: Date.now() + sm.max * 1000 });
    return {
      full: session.full,
      mechanism: session.mechanism,
      available: session.available,
      priority: session.priority,
      ...(session.presence ? { presence: session.presence.toString() } : {}),
      carbons,
      inbound: sm.inbound >>> 0,
      outbound: sm.outbound >>> 0,
      acked: sm.acked >>> 0,
      unacked: sm.unacked.splice(0),
      max: sm.max,
      modules,
    };
  }

  /** Binds a session that arrives from another instance, with its stream-management state. */
  private install(id: string, st: SmHandoffStateV1, transport: SessionTransport): Managed {
    let presence: Element | undefined;
    try {
      presence = st.presence ? parseXml(st.presence) : undefined;
    } catch {
      presence = undefined;
    }
    const session = this.ctx.sessions.adopt(st.full, transport, st.mechanism, { available: st.available, priority: st.priority, presence, carbons: st.carbons }, st.modules);
    const sm = new Managed(session, id, true, st.max, this.maxUnacked);
    this.track(sm);
    sm.inbound = st.inbound;
    sm.outbound = st.outbound;
    sm.acked = st.acked;
    sm.unacked = st.unacked;
    session.state.set(STATE, sm);
    session.addOutputStage(sm, SM_OUTPUT_PRIORITY);
    this.resumable.set(id, sm);
    this.forwards.delete(id);
    return sm;
  }

  /** Takes a waiting session from an instance that is shutting down: it waits here for the client's `<resume/>`. */
  private adopt(q: unknown): { by: string } {
    const m = q as { id?: unknown; state?: unknown; waitMs?: unknown } | undefined;
    if (!m || typeof m.id !== 'string' || typeof m.waitMs !== 'number' || !isSmHandoffResultV1({ state: m.state })) throw new ReplyException({ condition: 'bad-request' });
    const sm = this.install(m.id, m.state as SmHandoffStateV1, hibernating);
    sm.away = true;
    this.hibernate(sm.session, Math.max(1000, Math.min(m.waitMs, sm.max * 1000)));
    this.ctx.log.info('took over a stream-management session from a gateway that is shutting down');
    return { by: this.ctx.instanceId };
  }

  /**
   * Shutdown: every session that could be resumed moves to another instance (one that
   * takes it, by queue group) and its connection is dropped without a stream error, so
   * that the client reconnects and resumes it there. Without another instance, or when
   * one refuses, the session stays here and ends with the others.
   */
  async shutdown(): Promise<void> {
    this.adoptSub?.unsubscribe();
    this.adoptSub = undefined;
    const list = [...this.resumable.values()].filter((m) => !m.session.closed);
    let moved = 0;
    for (const sm of list) {
      const session = sm.session;
      const waitMs = sm.max * 1000;
      const state = this.moveOut(sm, undefined);
      try {
        const r = await this.ctx.bus.request<{ by: string }>(GatewaySubjects.smAdopt, { id: sm.id, state, waitMs }, { timeoutMs: HANDOFF_TIMEOUT_MS });
        this.forwards.set(sm.id, { to: r.by, until: Date.now() + waitMs });
        moved += 1;
        const previous = session.reattach(hibernating);
        if (!previous.hibernating) {
          if (previous.drop) previous.drop();
          else {
            previous.detach?.();
            previous.close();
          }
        }
      } catch {
        // nobody took it: it comes back here, waiting, and ends with the others (its messages routed again)
        this.install(sm.id, state, hibernating).away = true;
      }
    }
    if (list.length) this.ctx.log.info({ moved, of: list.length }, 'shutdown: stream-management sessions moved to other gateways');
  }

  private adoptSub?: { unsubscribe(): void };

  /** Takes sessions from instances that shut down (queue group: one instance each). */
  serveAdoptions(): { unsubscribe(): void } {
    this.adoptSub = this.ctx.bus.serve<unknown, { by: string }>(GatewaySubjects.smAdopt, (q) => this.adopt(q), { queue: 'sm-adopt' });
    return { unsubscribe: () => this.adoptSub?.unsubscribe() };
  }

  private pruneForwards(): void {
    const now = Date.now();
    for (const [id, f] of this.forwards) if (f.until <= now) this.forwards.delete(id);
  }

  /** `<resume/>` for a session another instance holds: ask it (following moves), then take the session over. */
  private async resumeRemote(stream: PreBindStream, previd: string, h: number, holder: string): Promise<void> {
    const fail = (condition: string) => stream.write(x('failed', { xmlns: NS.sm }, x(condition, { xmlns: NS.stanzas })).toString());
    let target = holder;
    let located = false;
    for (let hop = 0; hop < MAX_HANDOFF_HOPS; hop++) {
      let answer: unknown;
      try {
        const query: SmHandoffQueryV1 = { id: previd, bare: `${stream.username}@${this.ctx.domain}`, h, by: this.ctx.instanceId };
        answer = await this.ctx.bus.request<unknown>(GatewaySubjects.smHandoff(target), query, { timeoutMs: HANDOFF_TIMEOUT_MS });
      } catch {
        answer = undefined;
      }
      if (answer === undefined && !located) {
        // the instance it names is gone (it may have shut down and passed the session on): ask everyone once
        located = true;
        const found = await this.locate(previd);
        if (found === this.ctx.instanceId) return fail('item-not-found');
        if (found) {
          target = found;
          continue;
        }
      }
      if (!isSmHandoffResultV1(answer)) return fail('item-not-found');
      if ('moved' in answer) {
        if (answer.moved === this.ctx.instanceId) return fail('item-not-found');
        target = answer.moved;
        continue;
      }
      if ('failed' in answer) return fail(answer.failed);
      return this.takeOver(stream, previd, answer.state);
    }
    fail('item-not-found');
  }

  /** Which instance holds (or last passed on) a session: every instance hears the question, only a holder answers. */
  private async locate(id: string): Promise<string | undefined> {
    try {
      const r = await this.ctx.bus.request<{ holder?: unknown }>(GatewaySubjects.smLocate, { id }, { timeoutMs: LOCATE_TIMEOUT_MS });
      return typeof r.holder === 'string' ? r.holder : undefined;
    } catch {
      return undefined;
    }
  }

  /** Answers `locate` for sessions held here or passed on from here. */
  serveLocate(): { unsubscribe(): void } {
    return this.ctx.bus.subscribe<{ id?: unknown }>(GatewaySubjects.smLocate, (q, msg) => {
      if (typeof q?.id !== 'string' || !msg.reply) return;
      this.pruneForwards();
      const holder = this.resumable.has(q.id) ? this.ctx.instanceId : this.forwards.get(q.id)?.to;
      if (holder) msg.respond(encodeJson({ ok: true, data: { holder } }));
    });
  }

  private takeOver(stream: PreBindStream, id: string, st: SmHandoffStateV1): void {
    const gone = stream.closed;
    const sm = this.install(id, st, gone ? hibernating : stream.transport);
    if (gone) {
      // the client left while the session was on its way: it waits here for the next <resume/>
      sm.away = true;
      this.hibernate(sm.session);
      return;
    }
    stream.write(x('resumed', { xmlns: NS.sm, previd: id, h: sm.inbound >>> 0 }).toString());
    for (const xml of sm.unacked) stream.transport.write(xml);
    if (sm.unacked.length) sm.requestAckSoon();
    stream.adopt(sm.session);
  }

  /** `<enable/>` after binding. */
  enable(session: Session, el: Element): void {
    if (session.state.get(STATE)) {
      session.writeNonza(x('failed', { xmlns: NS.sm }, x('unexpected-request', { xmlns: NS.stanzas })).toString());
      return;
    }
    const wantsResume = el.attrs.resume === 'true' || el.attrs.resume === '1';
    const limit = Math.round(this.resumeTimeoutMs / 1000);
    const asked = Number.parseInt(el.attrs.max ?? '', 10);
    const max = Number.isFinite(asked) && asked > 0 ? Math.min(asked, limit) : limit;
    const id = `${randomToken(15, 'base64url')}.${this.ctx.instanceId}`;
    const sm = new Managed(session, id, wantsResume && max > 0, max, this.maxUnacked);
    this.track(sm);
    session.state.set(STATE, sm);
    session.addOutputStage(sm, SM_OUTPUT_PRIORITY);
    if (sm.resumable) this.resumable.set(id, sm);
    session.writeNonza(x('enabled', { xmlns: NS.sm, id, resume: sm.resumable ? 'true' : undefined, max: sm.resumable ? max : undefined }).toString());
  }

  /** `<enable/>`, `<r/>` and `<a/>` on a bound stream; false when the element is not ours. */
  nonza(session: Session, el: Element): boolean {
    if (el.attrs.xmlns !== NS.sm) return false;
    if (el.name === 'enable') {
      this.enable(session, el);
      return true;
    }
    const sm = session.state.get(STATE);
    if (!sm) return false;
    if (el.name === 'r') {
      session.writeNonza(`<a xmlns='${NS.sm}' h='${sm.inbound >>> 0}'/>`);
      return true;
    }
    if (el.name === 'a') {
      const h = Number.parseInt(el.attrs.h ?? '', 10);
      sm.requested = false;
      if (!Number.isFinite(h) || !sm.acknowledge(h)) {
        // XEP-0198 §4: an h above what was sent ends the stream
        session.close(new StreamError('undefined-condition', 'acknowledgement for stanzas never sent', x('handled-count-too-high', { xmlns: NS.sm, h: el.attrs.h, 'send-count': sm.outbound >>> 0 })));
        return true;
      }
      // Stanzas sent while the <r/> was out are not covered by this <a/>: ask again for them.
      if (sm.unacked.length) sm.requestAckSoon();
      return true;
    }
    return false;
  }

  /**
   * The connection dropped: keep a resumable session bound and waiting. Returns false
   * when the session cannot wait (not resumable), so the caller ends it.
   */
  hibernate(session: Session, waitMs?: number): boolean {
    const sm = session.state.get(STATE);
    if (!sm?.resumable || session.closed) return false;
    sm.away = true;
    session.reattach(hibernating);
    const t = setTimeout(() => {
      this.timers.delete(sm.id);
      this.ctx.sessions.unbind(session, 'resume-timeout');
    }, waitMs ?? sm.max * 1000);
    t.unref();
    this.timers.set(sm.id, t);
    this.ctx.log.debug('stream-management session waiting for resumption');
    return true;
  }

  /**
   * `<resume previd h/>` (XEP-0198 §5) on an authenticated stream: takes the session
   * over (answering `<resumed/>` and re-sending what was not acknowledged), or answers
   * `<failed/>`. Any other element of the namespace before binding is unexpected.
   */
  preBind(stream: PreBindStream, el: Element): boolean {
    if (el.attrs.xmlns !== NS.sm) return false;
    if (el.name !== 'resume') {
      stream.write(x('failed', { xmlns: NS.sm }, x('unexpected-request', { xmlns: NS.stanzas })).toString());
      return true;
    }
    const previd = el.attrs.previd ?? '';
    const sm = this.resumable.get(previd);
    const session = sm?.session;
    const holder = holderOf(previd);
    if (!sm && holder && holder !== this.ctx.instanceId) {
      const h = Number.parseInt(el.attrs.h ?? '', 10);
      if (!Number.isFinite(h) || h < 0) {
        stream.write(x('failed', { xmlns: NS.sm }, x('unexpected-request', { xmlns: NS.stanzas })).toString());
        return true;
      }
      void this.resumeRemote(stream, previd, h >>> 0, holder).catch((e) => {
        this.ctx.log.error({ err: e }, 'resumption from another gateway failed');
        stream.write(x('failed', { xmlns: NS.sm }, x('item-not-found', { xmlns: NS.stanzas })).toString());
      });
      return true;
    }
    if (!sm || !session || session.closed || session.jid.local !== stream.username) {
      stream.write(x('failed', { xmlns: NS.sm }, x('item-not-found', { xmlns: NS.stanzas })).toString());
      return true;
    }
    const h = Number.parseInt(el.attrs.h ?? '', 10);
    if (!Number.isFinite(h) || !sm.acknowledge(h)) {
      stream.write(x('failed', { xmlns: NS.sm }, x('unexpected-request', { xmlns: NS.stanzas })).toString());
      return true;
    }
    const t = this.timers.get(previd);
    if (t) clearTimeout(t);
    this.timers.delete(previd);
    const previous = session.reattach(stream.transport);
    sm.away = false;
    if (!previous.hibernating) {
      // the old connection is still open (the client noticed the drop first): it gives way
      previous.detach?.();
      previous.close(new StreamError('conflict', 'the session was resumed on another connection'));
    }
    stream.write(x('resumed', { xmlns: NS.sm, previd, h: sm.inbound >>> 0 }).toString());
    for (const xml of sm.unacked) stream.transport.write(xml);
    sm.requested = false;
    if (sm.unacked.length) sm.requestAckSoon();
    stream.adopt(session);
    return true;
  }

  /**
   * A session ended for good: forget it, fail its confirmations, and route again the
   * messages the client never acknowledged (XEP-0198 §5).
   */
  ended(session: Session): void {
    const sm = session.state.get(STATE);
    if (!sm) return;
    this.managed.delete(sm);
    sm.failConfirmations();
    this.resumable.delete(sm.id);
    const t = this.timers.get(sm.id);
    if (t) clearTimeout(t);
    this.timers.delete(sm.id);
    const pending = sm.unacked.splice(0);
    for (const xml of pending) {
      if (!xml.startsWith('<message')) continue;
      let msg: Element;
      try {
        msg = parseXml(xml);
      } catch {
        continue;
      }
      const type = msg.attrs.type ?? 'normal';
      if (type === 'error' || type === 'groupchat' || type === 'headline') continue;
      if (msg.getChild('received', NS.carbons) || msg.getChild('sent', NS.carbons) || msg.getChild('result', NS.mam)) continue;
      msg.attrs.to = session.bare; // to the user's other resources, or offline storage
      void this.ctx.router.route(msg).catch((e) => this.ctx.log.error({ err: e }, 're-routing an unacknowledged message failed'));
    }
  }
}

export const smModule = defineModule({
  name: 'xep-0198-sm',
  provides: STREAM_MANAGEMENT,
  options: {
    SM_MAX_UNACKED: opt.int({
      doc: 'Stanzas a stream-management session may hold unacknowledged. A connected client that lets this many pile up gets `<resource-constraint/>`; a session waiting for resumption that reaches it ends at once, and its messages go to offline storage. Gauges: `parley_gateway_sm_unacked`, `parley_gateway_sm_hibernating`.',
      default: 5000,
      min: 10,
      max: 1_000_000,
    }),
    SM_RESUME_TIMEOUT: opt.duration({
      doc: "How long a dropped stream-management session (XEP-0198) waits to be resumed (`0s`: no resumption). Unacknowledged messages are then delivered to the user's other resources or stored offline.",
      default: '5m',
      min: '0s',
      max: '1h',
    }),
  },
  init(ctx) {
    const sm = new StreamManagement(ctx, ctx.options.SM_RESUME_TIMEOUT, ctx.options.SM_MAX_UNACKED);
    const handoffs = sm.serveHandoffs();
    const adoptions = sm.serveAdoptions();
    const locate = sm.serveLocate();
    ctx.onStop(() => {
      handoffs.unsubscribe();
      adoptions.unsubscribe();
      locate.unsubscribe();
    });
    ctx.hook(CoreHooks.shutdown, () => sm.shutdown());
    ctx.streamFeature(() => x('sm', { xmlns: NS.sm }));
    ctx.nonza((session, el) => sm.nonza(session, el));
    ctx.preBindNonza((stream, el) => sm.preBind(stream, el));
    ctx.onStanzaReceived((session) => {
      const st = session.state.get(STATE);
      if (st) st.inbound = (st.inbound + 1) >>> 0;
    });
    ctx.onConnectionLost((session) => sm.hibernate(session));
    ctx.hook(CoreHooks.sessionEnded, ({ session }) => sm.ended(session), SM_ENDED_PRIORITY);
    return { enabled: (session) => session.state.get(STATE) !== undefined, stats: () => sm.stats() };
  },
});
