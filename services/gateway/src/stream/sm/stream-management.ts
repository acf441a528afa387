// XEP-0198: Stream Management — acknowledgements (<r/>, <a/>) and resumption.
// A session whose connection drops without a closing handshake stays bound, its
// stanzas queued, for up to SM_RESUME_TIMEOUT; a new connection of the same user
// may take it over with <resume/>. Stanzas never acknowledged when a session ends
// are routed again (other resources, or offline storage), so nothing is lost.
import { randomBytes } from 'node:crypto';
import { NS, StreamError } from '@parley/stanza';
import { Element, parseXml, x } from '@parley/xml';
import type { Logger } from 'pino';
import type { Session, SessionTransport, StreamManagement } from '../../session/session';

/** Unacknowledged stanzas one session may hold before its stream is ended. */
export const MAX_UNACKED = 5000;
/** Ask for an acknowledgement once this many stanzas are pending. */
const REQUEST_EVERY = 10;
/** ... or after this long with any pending. */
const REQUEST_AFTER_MS = 2000;

const hibernating: SessionTransport = { hibernating: true, secure: true, write() {}, close() {} };

function requestAckSoon(this: StreamManagement & { requested?: boolean; timer?: NodeJS.Timeout }, session: Session): void {
  if (this.requested) return;
  if (this.unacked.length >= MAX_UNACKED) {
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

export class StreamManagementService {
  private readonly resumable = new Map<string, Session>();
  private readonly timers = new Map<string, NodeJS.Timeout>();

  constructor(
    private readonly gw: {
      config: { SM_RESUME_TIMEOUT: number };
      sessions: { unbind(session: Session, reason: string): void };
      router: { route(stanza: Element): Promise<void> };
      log: Logger;
    },
  ) {}

  /** The post-authentication stream feature. */
  feature(): Element {
    return x('sm', { xmlns: NS.sm });
  }

  /** `<enable/>` after binding. */
  enable(session: Session, el: Element, write: (xml: string) => void): void {
    if (session.sm) {
      write(x('failed', { xmlns: NS.sm }, x('unexpected-request', { xmlns: NS.stanzas })).toString());
      return;
    }
    const wantsResume = el.attrs.resume === 'true' || el.attrs.resume === '1';
    const limit = Math.round(this.gw.config.SM_RESUME_TIMEOUT / 1000);
    const asked = Number.parseInt(el.attrs.max ?? '', 10);
    const max = Number.isFinite(asked) && asked > 0 ? Math.min(asked, limit) : limit;
    const id = randomBytes(15).toString('base64url');
    session.sm = { id, resumable: wantsResume && max > 0, max, inbound: 0, outbound: 0, acked: 0, unacked: [], requestAckSoon };
    if (session.sm.resumable) this.resumable.set(id, session);
    write(x('enabled', { xmlns: NS.sm, id, resume: session.sm.resumable ? 'true' : undefined, max: session.sm.resumable ? max : undefined }).toString());
  }

  /** `<r/>` and `<a/>` on a bound stream; false when the element is not ours. */
  nonza(session: Session, el: Element, write: (xml: string) => void): boolean {
    const sm = session.sm;
    if (!sm) return false;
    if (el.name === 'r') {
      write(`<a xmlns='${NS.sm}' h='${sm.inbound >>> 0}'/>`);
      return true;
    }
    if (el.name === 'a') {
      const h = Number.parseInt(el.attrs.h ?? '', 10);
      (sm as { requested?: boolean }).requested = false;
      if (!Number.isFinite(h) || !session.acknowledge(h)) {
        // XEP-0198 §4: an h above what was sent ends the stream
        session.close(new StreamError('undefined-condition', 'acknowledgement for stanzas never sent', x('handled-count-too-high', { xmlns: NS.sm, h: el.attrs.h, 'send-count': sm.outbound >>> 0 })));
      }
      return true;
    }
    return false;
  }

  /** Counts a stanza received from the client. */
  countInbound(session: Session): void {
    if (session.sm) session.sm.inbound = (session.sm.inbound + 1) >>> 0;
  }

  /**
   * The connection dropped: keep a resumable session bound and waiting. Returns false
   * when the session cannot wait (not resumable), so the caller ends it.
   */
  hibernate(session: Session): boolean {
    const sm = session.sm;
    if (!sm?.resumable || session.closed) return false;
    session.reattach(hibernating);
    const t = setTimeout(() => {
      this.timers.delete(sm.id);
      this.gw.sessions.unbind(session, 'resume-timeout');
      this.ended(session);
    }, sm.max * 1000);
    t.unref();
    this.timers.set(sm.id, t);
    return true;
  }

  /**
   * `<resume previd h/>` from an authenticated connection of `username`: takes the
   * session over (answering `<resumed/>` and re-sending what was not acknowledged),
   * or answers `<failed/>`.
   */
  resume(username: string, el: Element, transport: SessionTransport, write: (xml: string) => void): Session | undefined {
    const previd = el.attrs.previd ?? '';
    const session = this.resumable.get(previd);
    if (!session || session.closed || session.jid.local !== username) {
      write(x('failed', { xmlns: NS.sm }, x('item-not-found', { xmlns: NS.stanzas })).toString());
      return undefined;
    }
    const sm = session.sm!;
    const h = Number.parseInt(el.attrs.h ?? '', 10);
    if (!Number.isFinite(h) || !session.acknowledge(h)) {
      write(x('failed', { xmlns: NS.sm }, x('unexpected-request', { xmlns: NS.stanzas })).toString());
      return undefined;
    }
    const t = this.timers.get(previd);
    if (t) clearTimeout(t);
    this.timers.delete(previd);
    const previous = session.reattach(transport);
    if (!previous.hibernating) {
      // the old connection is still open (the client noticed the drop first): it gives way
      previous.detach?.();
      previous.close(new StreamError('conflict', 'the session was resumed on another connection'));
    }
    write(x('resumed', { xmlns: NS.sm, previd, h: sm.inbound >>> 0 }).toString());
    for (const xml of sm.unacked) transport.write(xml);
    (sm as { requested?: boolean }).requested = false;
    if (sm.unacked.length) sm.requestAckSoon(session);
    return session;
  }

  /**
   * A session ended for good: forget it, fail its confirmations, and route again the
   * messages the client never acknowledged (XEP-0198 §5).
   */
  ended(session: Session): void {
    const sm = session.sm;
    session.failConfirmations();
    if (!sm) return;
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
      void this.gw.router.route(msg).catch((e) => this.gw.log.error({ err: e }, 're-routing an unacknowledged message failed'));
    }
  }
}
