// XEP-0124 (BOSH) and XEP-0206 (XMPP over BOSH): an XMPP stream carried by a series
// of HTTP requests. Each BOSH session is adapted to the slice of a socket that the C2S
// connection uses (as websocket.ts does for RFC 7395), so negotiation, SASL, binding,
// stanza limits and hostile-input answers are those of TCP. What this file adds is the
// binding itself: request ids and their window, held requests (hold/wait long polling),
// acknowledgements, pause, terminate, inactivity, restart, and the terminal conditions.
//
// A session lives in the memory of the gateway instance that created it: a load
// balancer in front of several gateways must send every request of one session (the
// `sid` in the body; the cookie the balancer may set) to the same instance.
import { randomBytes } from 'node:crypto';
import { EventEmitter } from 'node:events';
import type { IncomingMessage, ServerResponse } from 'node:http';
import { loggableAddress } from '@parley/runtime';
import { BoshAnswerV1, BoshForwardV1, GatewaySubjects } from '@parley/contracts';
import { NS } from '@parley/stanza';
import { Element, escapeXml, parseXml } from '@parley/xml';
import type { GatewayCore } from '../gateway-core';
import { C2SConnection } from '../stream/c2s';
import { refuseBusyAddress } from './address-limit';
import { qualifyStanza } from './stanza-namespace';

export const BOSH_NS = 'http://jabber.org/protocol/httpbind';
export const XBOSH_NS = 'urn:xmpp:xbosh';

/** Terminal binding conditions (XEP-0124 §17.2) this connection manager sends. */
export type BoshCondition = 'bad-request' | 'host-unknown' | 'item-not-found' | 'policy-violation' | 'remote-stream-error' | 'internal-server-error' | 'system-shutdown' | 'undefined-condition';

/** HTTP statuses for clients older than BOSH 1.6, which do not read terminal bodies (XEP-0124 §17.1). */
const LEGACY_STATUS: Partial<Record<BoshCondition, number>> = { 'bad-request': 400, 'policy-violation': 403, 'item-not-found': 404 };

/** The largest rid a client may pick (XEP-0124 §14.1: 2^53 - 1, so that it survives JavaScript numbers). */
const MAX_RID = Number.MAX_SAFE_INTEGER;

/** The binding's limits, from the gateway configuration. */
export interface BoshLimits {
  /** Longest a request is held, ms (the client's `wait` is lowered to it). */
  maxWait: number;
  /** Most requests held at once (the client's `hold` is lowered to it). */
  maxHold: number;
  /** A session with no request held for this long ends, ms. */
  inactivity: number;
  /** Shortest interval between empty polls of a polling session (hold 0), ms. */
  polling: number;
  /** Longest pause a client may ask for, ms. */
  maxPause: number;
  /** Largest request body, bytes. */
  maxBody: number;
}

interface Held {
  rid: number;
  res: ServerResponse;
  timer?: NodeJS.Timeout;
}

function attr(name: string, value: string | number | undefined): string {
  return value === undefined ? '' : ` ${name}='${escapeXml(String(value))}'`;
}

/** A `<body/>` wrapper around already-serialized payloads. */
export function bodyXml(attrs: Record<string, string | number | undefined>, payload = ''): string {
  const stream = payload.includes('<stream:') ? ` xmlns:stream='${NS.stream}'` : '';
  const own = Object.entries(attrs)
    .map(([k, v]) => attr(k, v))
    .join('');
  return `<body xmlns='${BOSH_NS}'${stream}${own}${payload ? `>${payload}</body>` : '/>'}`;
}

/** A rid as the client wrote it: a positive integer below 2^53, else undefined. */
export function parseRid(v: string | undefined): number | undefined {
  if (v === undefined || !/^[0-9]{1,16}$/.test(v)) return undefined;
  const n = Number(v);
  return n > 0 && n <= MAX_RID ? n : undefined;
}

/** A whole number of seconds in an attribute, else undefined. */
function seconds(v: string | undefined): number | undefined {
  return v !== undefined && /^[0-9]{1,9}$/.test(v) ? Number(v) : undefined;
}

/** Whether a `ver` attribute names BOSH 1.6 or later (terminal conditions in the body, not HTTP codes). */
export function modernVersion(ver: string | undefined): boolean {
  const m = ver === undefined ? null : /^(\d+)\.(\d+)$/.exec(ver);
  return !!m && (Number(m[1]) > 1 || (Number(m[1]) === 1 && Number(m[2]) >= 6));
}

/** Sends one HTTP response carrying a `<body/>`. */
function send(res: ServerResponse, xml: string, status = 200): void {
  if (res.writableEnded || res.destroyed) return;
  res.writeHead(status, { 'content-type': 'text/xml; charset=utf-8', 'cache-control': 'no-store', 'content-length': Buffer.byteLength(xml) });
  res.end(xml);
}

/** A terminal answer outside any session (unknown sid, a request that cannot start one). */
export function terminalBody(condition: BoshCondition): string {
  return bodyXml({ type: 'terminate', condition });
}

/**
 * One BOSH session: to the C2S connection it is a socket (data in, XML out); to the
 * HTTP side it is the rid sequence, the held requests and the queued output.
 */
export class BoshSession extends EventEmitter {
  readonly sid: string;
  readonly remoteAddress: string | undefined;
  readonly hold: number;
  readonly wait: number;
  readonly requests: number;
  private readonly modern: boolean;
  private readonly acks: boolean;
  connection!: C2SConnection;
  /** The next rid to process; earlier ones have been. */
  private nextRid: number;
  /** Requests processed and not yet answered, lowest rid first. */
  private readonly held: Held[] = [];
  /** Requests that came before an earlier rid did: processed once the gap is filled. */
  private readonly early = new Map<number, { body: Element; res: ServerResponse }>();
  /** Answers already sent, by rid, for a client that repeats a request whose answer it lost (§14.3). */
  private readonly sent = new Map<number, string>();
  /** Server output not yet carried by a response. */
  private out: string[] = [];
  private outBytes = 0;
  private streamId = '';
  /** The stream has ended (server side): the next response terminates the session. */
  private ending = false;
  private endCondition?: BoshCondition;
  /** The session is over: no more requests are served. */
  done = false;
  private inactivity?: NodeJS.Timeout;
  private pauseFor?: number;
  /** Input held back while the C2S rate limit has the stream paused. */
  private inbox: string[] = [];
  private inputPaused = false;
  /** A terminate that waits for the input held back to be read. */
  private afterResume?: () => void;
  private flushScheduled = false;
  private lastEmptyPoll = 0;
  private lastAnswerEmpty = false;
  /** The session creation response has gone out. */
  private created = false;
  /** The C2S connection was told its socket closed. */
  private connectionClosed = false;

  constructor(
    create: Element,
    private readonly domain: string,
    address: string | undefined,
    private readonly limits: BoshLimits,
    private readonly onDone: (s: BoshSession) => void,
    /** The instance that holds the session, named in its sid so that another instance can forward requests. */
    instanceId?: string,
  ) {
    super();
    const secret = randomBytes(16).toString('base64url');
    this.sid = instanceId ? `${instanceId}.${secret}` : secret;
    this.remoteAddress = address;
    const rid = parseRid(create.attrs.rid)!;
    this.nextRid = rid + 1;
    this.wait = Math.min(seconds(create.attrs.wait) ?? limits.maxWait / 1000, limits.maxWait / 1000);
    this.hold = Math.min(seconds(create.attrs.hold) ?? 1, limits.maxHold);
    this.requests = this.hold + 1;
    this.modern = modernVersion(create.attrs.ver);
    this.acks = create.attrs.ack === '1';
  }

  // ---- the socket slice C2SConnection uses ---------------------------------

  get writable(): boolean {
    return !this.done && !this.ending;
  }
  get writableLength(): number {
    return this.outBytes;
  }
  write(xml: string): boolean {
    if (this.done) return false;
    if (xml.startsWith('<?xml')) {
      this.streamId = /\sid='([^']*)'/.exec(xml)?.[1] ?? this.streamId;
      return true; // the stream header: its attributes are the session's (creation response, §7.2)
    }
    if (xml === '</stream:stream>') {
      this.ending = true;
      this.scheduleFlush();
      return true;
    }
    if (/^\s+$/.test(xml)) return true; // whitespace keepalive: held requests already keep the link alive
    // stream features and errors keep their prefix: the body declares it (XEP-0206 §5)
    const frame = xml.startsWith('<stream:') ? xml : qualifyStanza(xml);
    if (frame.startsWith('<stream:error')) this.endCondition = 'remote-stream-error';
    this.out.push(frame);
    this.outBytes += frame.length;
    this.scheduleFlush();
    return true;
  }
  end(): void {
    this.ending = true;
    this.scheduleFlush();
  }
  destroy(): void {
    if (this.done) return;
    this.ending = true;
    if (this.held.length) return this.finish(this.endCondition);
    // nothing to answer on: the next request (or the inactivity clock) ends the session
    this.closeConnection('closed');
  }
  pause(): void {
    this.inputPaused = true;
  }
  resume(): void {
    this.inputPaused = false;
    const pending = this.inbox;
    this.inbox = [];
    for (const text of pending) this.emit('data', Buffer.from(text));
    const next = this.afterResume;
    this.afterResume = undefined;
    next?.();
  }
  setNoDelay(): void {}
  cork(): void {}
  uncork(): void {
    this.scheduleFlush();
  }

  // ---- requests -------------------------------------------------------------

  /** The session creation response (§7.2, XEP-0206 §5): the stream's features come with it. */
  start(to: string, res: ServerResponse, create: Element): void {
    const lang = create.attrs['xml:lang'];
    const version = create.attrs['xmpp:version'];
    this.held.push({ rid: this.nextRid - 1, res });
    this.input(`<stream:stream xmlns='${NS.client}' xmlns:stream='${NS.stream}'${attr('to', to)}${attr('version', version)}${attr('xml:lang', lang)}>`);
    this.flush(true);
  }

  /** A request naming this session's sid. */
  request(body: Element, res: ServerResponse): void {
    if (this.done) return send(res, terminalBody('item-not-found'));
    const rid = parseRid(body.attrs.rid);
    if (this.ending && rid !== undefined && rid >= this.nextRid) {
      // the stream ended while no request was held: this one carries the news
      this.held.push({ rid, res });
      return this.finish(this.endCondition);
    }
    if (rid === undefined) return this.fail('bad-request', res);
    if (rid < this.nextRid) return this.repeat(rid, res);
    // §14.2: a rid beyond the window means requests were lost for good
    if (rid >= this.nextRid + this.requests) return this.fail('item-not-found', res);
    if (rid > this.nextRid) {
      this.early.get(rid)?.res.destroy();
      this.early.set(rid, { body, res });
      return this.checkOveractivity(res);
    }
    this.process(body, res);
    while (!this.done && this.early.has(this.nextRid)) {
      const next = this.early.get(this.nextRid)!;
      this.early.delete(this.nextRid);
      this.process(next.body, next.res);
    }
  }

  /** §14.3: the client lost a response and asks again with the same rid. */
  private repeat(rid: number, res: ServerResponse): void {
    const held = this.held.find((h) => h.rid === rid);
    if (held) {
      held.res.destroy(); // the connection the client gave up on
      held.res = res;
      return;
    }
    const answer = this.sent.get(rid);
    if (answer === undefined) return this.fail('item-not-found', res);
    send(res, answer);
  }

  /** §11: more simultaneous requests than `requests` is a client out of control. */
  private checkOveractivity(res: ServerResponse): void {
    if (this.held.length + this.early.size > this.requests) this.fail('policy-violation', res);
  }

  private process(body: Element, res: ServerResponse): void {
    const rid = this.nextRid++;
    clearTimeout(this.inactivity);
    this.inactivity = undefined;
    this.pauseFor = undefined;
    if (this.acks) this.forget(parseRid(body.attrs.ack));
    const payloads = body.children.filter((c): c is Element => typeof c !== 'string');
    const empty = payloads.length === 0 && body.attrs.type === undefined && body.attrs['xmpp:restart'] === undefined && body.attrs.pause === undefined;
    if (empty && this.hold === 0) {
      // §12: a polling session's empty requests no closer together than `polling`
      const now = Date.now();
      if (this.lastAnswerEmpty && now - this.lastEmptyPoll < this.limits.polling) return this.fail('policy-violation', res);
      this.lastEmptyPoll = now;
    }
    this.held.push({ rid, res });
    if (body.attrs.type === 'terminate') return this.terminate(payloads);
    if (body.attrs.pause !== undefined) {
      const p = seconds(body.attrs.pause);
      if (p === undefined || p * 1000 > this.limits.maxPause) return this.fail('policy-violation');
      // §10: answer everything now, and allow this long without a request
      this.pauseFor = p * 1000;
      return this.flush(true);
    }
    if (body.attrs['xmpp:restart'] === 'true') {
      if (payloads.length) return this.fail('bad-request');
      const lang = body.attrs['xml:lang'];
      this.input(`<stream:stream xmlns='${NS.client}' xmlns:stream='${NS.stream}'${attr('to', body.attrs.to ?? this.domain)} version='1.0'${attr('xml:lang', lang)}>`);
    } else {
      // an empty request is the client's keepalive: it counts as reading (idle timeout)
      this.input(payloads.map((p) => p.toString()).join(''));
    }
    if (this.done) return; // the input ended the session (a client that stopped reading)
    this.held.at(-1)!.timer = setTimeout(() => this.answerUpTo(rid), this.wait * 1000).unref();
    // more requests held than `hold`: the oldest is answered now (§8)
    while (this.held.length > this.hold) this.answer(this.held[0]);
    this.scheduleFlush();
  }

  /** The client ends the session (§13): its last payloads go through, then the stream closes. */
  private terminate(payloads: Element[]): void {
    this.input(payloads.map((p) => p.toString()).join(''));
    const close = () =>
      void this.connection.settled().then(() => {
        if (this.done) return;
        this.input('</stream:stream>');
        // the connection has closed its side by now (or already had): answer with terminate
        this.ending = true;
        this.flush();
      });
    // payloads held back by the read rate limit are read first
    if (this.inputPaused) this.afterResume = close;
    else close();
  }

  private input(text: string): void {
    if (this.inputPaused) this.inbox.push(text);
    else this.emit('data', Buffer.from(text));
  }

  // ---- responses ------------------------------------------------------------

  private scheduleFlush(): void {
    if (this.flushScheduled) return;
    this.flushScheduled = true;
    setImmediate(() => {
      this.flushScheduled = false;
      this.flush();
    });
  }

  /** Sends queued output on the oldest held request; `all`: answer every held request now. */
  private flush(all = false): void {
    if (this.done) return;
    if (this.ending && this.held.length) return this.finish(this.endCondition);
    if (all) {
      while (this.held.length) this.answer(this.held[0]);
      return;
    }
    if (this.out.length && this.held.length) this.answer(this.held[0]);
  }

  private answerUpTo(rid: number): void {
    while (!this.done && this.held.length && this.held[0].rid <= rid) this.answer(this.held[0]);
  }

  private answer(h: Held, extra: Record<string, string | number | undefined> = {}): void {
    this.held.splice(this.held.indexOf(h), 1);
    clearTimeout(h.timer);
    const payload = this.out.join('');
    this.out = [];
    this.outBytes = 0;
    this.lastAnswerEmpty = payload === '';
    const attrs = this.created ? { ...extra, ...(this.acks && h.rid < this.nextRid - 1 ? { ack: this.nextRid - 1 } : {}) } : { ...this.creationAttrs(h.rid), ...extra };
    const xml = bodyXml(attrs, payload);
    this.created = true;
    this.sent.set(h.rid, xml);
    this.forget(h.rid - this.requests);
    send(h.res, xml);
    if (!this.held.length && !this.done) this.idle();
  }

  /** §7.2 and XEP-0206 §5: what the session creation response tells the client. */
  private creationAttrs(rid: number): Record<string, string | number | undefined> {
    return {
      sid: this.sid,
      wait: this.wait,
      hold: this.hold,
      requests: this.requests,
      inactivity: Math.floor(this.limits.inactivity / 1000),
      polling: Math.ceil(this.limits.polling / 1000),
      maxpause: Math.floor(this.limits.maxPause / 1000),
      ver: '1.11',
      from: this.domain,
      authid: this.streamId,
      ack: this.acks ? rid : undefined,
      'xmpp:version': '1.0',
      'xmlns:xmpp': XBOSH_NS,
      'xmpp:restartlogic': 'true',
    };
  }

  /** Drops cached answers up to `rid` (the client has them, or they left the window). */
  private forget(rid: number | undefined): void {
    if (rid === undefined) return;
    for (const r of this.sent.keys()) if (r <= rid) this.sent.delete(r);
  }

  /** No request held: the inactivity (or pause) clock runs (§10). */
  private idle(): void {
    clearTimeout(this.inactivity);
    this.inactivity = setTimeout(() => {
      if (this.held.length || this.done) return;
      this.finish(undefined, 'inactive');
    }, this.pauseFor ?? this.limits.inactivity).unref();
  }

  /** A terminal binding error: every held request (and `res`) gets it, the stream ends. */
  fail(condition: BoshCondition, res?: ServerResponse): void {
    if (res) this.held.push({ rid: 0, res });
    this.finish(condition);
  }

  /** Ends the session: held requests get the terminating body (with the last output), the connection closes. */
  private finish(condition: BoshCondition | undefined, reason = 'terminated'): void {
    if (this.done) return;
    this.done = true;
    clearTimeout(this.inactivity);
    const payload = this.out.join('');
    // the stream error says why the session ends: every terminating response carries it
    // (a client may read any of its held requests' answers first); stanzas go once
    const error = this.out.filter((f) => f.startsWith('<stream:error')).join('');
    this.out = [];
    const status = condition && !this.modern ? (LEGACY_STATUS[condition] ?? 200) : 200;
    let first = true;
    for (const h of this.held.splice(0)) {
      clearTimeout(h.timer);
      send(h.res, bodyXml({ type: 'terminate', ...(condition ? { condition } : {}) }, first ? payload : error), status);
      first = false;
    }
    for (const e of this.early.values()) send(e.res, bodyXml({ type: 'terminate', ...(condition ? { condition } : {}) }, error), status);
    this.early.clear();
    this.sent.clear();
    this.closeConnection(reason);
    this.onDone(this);
  }

  /** Tells the C2S connection its socket is gone (once). */
  private closeConnection(reason: string): void {
    if (this.connectionClosed) return;
    this.connectionClosed = true;
    this.emit('close', reason);
  }

  /** The gateway is shutting down. */
  shutdown(): void {
    this.finish('system-shutdown');
  }
}

/** Reads a request body up to `max` bytes: `text` unset when it is larger (`head` is what was read). */
function readBody(req: IncomingMessage, max: number): Promise<{ text?: string; head: string }> {
  return new Promise((resolve, reject) => {
    const chunks: Buffer[] = [];
    let size = 0;
    req.on('data', (c: Buffer) => {
      size += c.length;
      if (size > max) {
        req.removeAllListeners('data');
        req.resume(); // drained, not kept
        resolve({ head: Buffer.concat(chunks).subarray(0, 2048).toString('utf8') });
        return;
      }
      chunks.push(c);
    });
    req.on('end', () => resolve({ text: Buffer.concat(chunks).toString('utf8'), head: '' }));
    req.on('error', reject);
  });
}

/** The sid a body names, read from its start without parsing (for a body too large to parse). */
function sidOf(prefix: string): string | undefined {
  return /\ssid=(['"])([A-Za-z0-9_.-]{1,128})\1/.exec(prefix.slice(0, 2048))?.[2];
}

/** The instance a sid names (`<instanceId>.<secret>`), when it names one. */
export function sidInstance(sid: string): string | undefined {
  const dot = sid.lastIndexOf('.');
  return dot > 0 ? sid.slice(0, dot) : undefined;
}

/** An instance id that can stand in a sid and a NATS subject token. */
const FORWARDABLE = /^[\w-]{1,64}$/;

/** A ServerResponse stand-in that captures the one answer a session gives (for a forwarded request). */
function capture(): { res: ServerResponse; answer: Promise<BoshAnswerV1> } {
  let done!: (a: BoshAnswerV1) => void;
  const answer = new Promise<BoshAnswerV1>((r) => (done = r));
  let status = 200;
  const res = {
    writableEnded: false,
    destroyed: false,
    headersSent: false,
    writeHead(code: number) {
      status = code;
      return res;
    },
    end(body?: string) {
      res.writableEnded = true;
      done({ status, body: body ?? '' });
    },
    destroy() {
      res.destroyed = true;
      done({ status: 0, body: '' }); // superseded by a repeated request
    },
  };
  return { res: res as unknown as ServerResponse, answer };
}

/**
 * The `/http-bind` endpoint: creates sessions and routes requests to them by sid. A
 * session is held by the instance that created it (its id starts the sid); a request
 * that reaches another instance is forwarded to it over the bus and answered from there.
 */
export class BoshEndpoint {
  private readonly sessions = new Map<string, BoshSession>();
  private readonly instanceId?: string;
  private serving?: { unsubscribe(): void };

  constructor(
    private readonly gw: GatewayCore,
    private readonly limits: BoshLimits,
  ) {
    if (FORWARDABLE.test(gw.instanceId)) {
      this.instanceId = gw.instanceId;
      // requests for this instance's sessions that reached another one
      this.serving = gw.bus.serve<BoshForwardV1, BoshAnswerV1>(GatewaySubjects.bosh(gw.instanceId), (q) => this.forwarded(q), { queue: gw.instanceId });
    }
  }

  get size(): number {
    return this.sessions.size;
  }

  async handle(req: IncomingMessage, res: ServerResponse, address: string | undefined): Promise<void> {
    if (req.method !== 'POST') {
      res.writeHead(405, { allow: 'POST, OPTIONS', 'content-type': 'text/plain; charset=utf-8' });
      res.end('BOSH (XEP-0124): POST a <body/>\n');
      return;
    }
    const { text, head } = await readBody(req, this.limits.maxBody);
    if (text === undefined) {
      // too large to read: the session it names ends as a stream with an oversized stanza would
      const sid = sidOf(head);
      const s = sid ? this.sessions.get(sid) : undefined;
      if (s) return s.fail('policy-violation', res);
      res.writeHead(413, { 'content-type': 'text/xml; charset=utf-8' });
      res.end(terminalBody('policy-violation'));
      return;
    }
    return this.dispatch(text, res, address, false);
  }

  /** A request another instance forwarded: answered as if it had come here. */
  private async forwarded(q: BoshForwardV1): Promise<BoshAnswerV1> {
    if (typeof q?.body !== 'string' || Buffer.byteLength(q.body) > this.limits.maxBody) return { status: 200, body: terminalBody('bad-request') };
    const { res, answer } = capture();
    await this.dispatch(q.body, res, undefined, true);
    return answer;
  }

  /** Forwards a request to the instance holding its session; its answer goes back to the client. */
  private async forward(instance: string, text: string, res: ServerResponse): Promise<void> {
    let a: BoshAnswerV1;
    try {
      a = await this.gw.bus.request<BoshAnswerV1>(GatewaySubjects.bosh(instance), { body: text } satisfies BoshForwardV1, { timeoutMs: this.limits.maxWait + 15_000 });
    } catch {
      return send(res, terminalBody('item-not-found')); // that instance is gone, and its sessions with it
    }
    if (a.status === 0) return void res.destroy();
    send(res, a.body, a.status);
  }

  private async dispatch(text: string, res: ServerResponse, address: string | undefined, forwarded: boolean): Promise<void> {
    let body: Element;
    try {
      body = parseXml(text);
    } catch {
      const sid = sidOf(text);
      const s = sid ? this.sessions.get(sid) : undefined;
      if (s) return s.fail('bad-request', res);
      return send(res, terminalBody('bad-request'), 400);
    }
    if (body.name !== 'body' || body.attrs.xmlns !== BOSH_NS) {
      const s = body.attrs.sid ? this.sessions.get(body.attrs.sid) : undefined;
      if (s) return s.fail('bad-request', res);
      return send(res, terminalBody('bad-request'), 400);
    }
    const sid = body.attrs.sid;
    if (sid !== undefined) {
      const s = this.sessions.get(sid);
      if (s) return s.request(body, res);
      const holder = sidInstance(sid);
      if (!forwarded && holder && holder !== this.instanceId && FORWARDABLE.test(holder)) return this.forward(holder, text, res);
      return send(res, terminalBody('item-not-found'), modernVersion(body.attrs.ver) || body.attrs.ver === undefined ? 200 : 404);
    }
    if (forwarded) return send(res, terminalBody('bad-request'));
    return this.create(body, res, address);
  }

  /** Session creation (§7.1, XEP-0206 §5). */
  private create(body: Element, res: ServerResponse, address: string | undefined): void {
    const gw = this.gw;
    if (parseRid(body.attrs.rid) === undefined || body.attrs.to === undefined) return send(res, terminalBody('bad-request'), modernVersion(body.attrs.ver) ? 200 : 400);
    const to = body.attrs.to.toLowerCase().replace(/\.$/, '');
    if (to !== gw.domain) return send(res, terminalBody('host-unknown'));
    if (body.children.some((c) => typeof c !== 'string')) return send(res, terminalBody('bad-request'), modernVersion(body.attrs.ver) ? 200 : 400);
    if (gw.connections.size >= gw.config.MAX_CONNECTIONS) {
      gw.log.warn({ address: loggableAddress(address) }, 'connection limit reached; BOSH session refused');
      return send(res, terminalBody('policy-violation'), modernVersion(body.attrs.ver) ? 200 : 403);
    }
    const s = new BoshSession(body, gw.domain, address, this.limits, (done) => this.sessions.delete(done.sid), this.instanceId);
    this.sessions.set(s.sid, s);
    const c = new C2SConnection(s as never, gw, true, { startTls: false, ...(address ? { address } : {}) });
    s.connection = c;
    // one session too many from the address: the creation response carries the refusal (remote-stream-error)
    if (!gw.connectionOpened(c)) refuseBusyAddress(gw, c);
    s.start(to, res, body);
  }

  /** Ends every session (the listener closes). */
  close(): void {
    this.serving?.unsubscribe();
    for (const s of [...this.sessions.values()]) s.shutdown();
  }
}

