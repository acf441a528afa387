// The feature registry: what modules declared through their context — disco
// features, items and nodes, stream features, IQ handlers, nonzas — read by the
// stream, the router and the disco module (as Prosody's module:add_feature).
import type { Jid } from '@parley/jid';
import { Element } from '@parley/xml';
import { StanzaError } from '@parley/stanza';
import type { Session, SessionTransport } from '../session/session';

/** Who an IQ is addressed to, as far as handler lookup is concerned. */
export type IqTarget =
  /** The server itself (`to` = the domain). */
  | 'server'
  /** An account's bare JID, or no `to` (the sender's own account). */
  | 'account';

/** Returned by an IQ handler that already answered (e.g. before closing the session). */
export const HANDLED = Symbol('iq-handled');

/** An IQ handler: HANDLED → nothing more is sent; a value → result with that payload; undefined → empty result; throw StanzaError → error. */
export type IqHandler = (iq: Element, session: Session, target: { bare: string; local: string }) => Promise<Element | typeof HANDLED | undefined | void> | Element | typeof HANDLED | undefined | void;

/** A disco node's answers; each returns the children of `<query/>`, or throws StanzaError. */
export interface DiscoNode {
  info?(session: Session, target: { bare: string; local: string }): Promise<Element[]> | Element[];
  items?(session: Session, target: { bare: string; local: string }): Promise<Element[]> | Element[];
}

/** What a pre-authentication IQ handler can see of its connection. */
export interface PreAuthContext {
  readonly secure: boolean;
  /** Source address, for in-memory rate limits only; never stored or sent on. */
  readonly address: string;
}

/** Handles an IQ before authentication; same outcome rules as IqHandler. */
export type PreAuthIqHandler = (iq: Element, conn: PreAuthContext) => Promise<Element | undefined | void> | Element | undefined | void;

/** A post-bind or pre-auth stream feature provider. */
export type FeatureProvider = (session: Session | undefined) => Element | undefined;

/** Hook results for stanza hooks: true means "handled, stop". */
export type StanzaHook = (session: Session, stanza: Element) => Promise<boolean> | boolean;

/** Handles a top-level element of a bound stream that is not a stanza (XEP-0352 `<active/>`); true when handled. */
export type NonzaHandler = (session: Session, el: Element) => boolean;

/** An authenticated stream before binding, as a pre-bind nonza handler sees it (XEP-0198 `<resume/>`). */
export interface PreBindStream {
  /** The authenticated username (local part). */
  readonly username: string;
  /** The connection, to move a session onto (`Session.reattach`). */
  readonly transport: SessionTransport;
  /** Writes to this connection. */
  write(xml: string): void;
  /** Makes `session` this stream's bound session (a resumed one). */
  adopt(session: Session): void;
  /** The connection is gone or closing (an answer that took a while finds nobody). */
  readonly closed: boolean;
}

/** Handles a top-level non-stanza element after authentication and before binding; true when handled. */
export type PreBindNonzaHandler = (stream: PreBindStream, el: Element) => boolean;

/** Registry of everything modules contribute. */
/** A plain HTTP request on the WebSocket listener (WS_PORT) under a path a module claimed. */
export type HttpRouteHandler = (
  req: import('node:http').IncomingMessage,
  res: import('node:http').ServerResponse,
  info: { address: string | undefined; base: string | undefined },
) => void | Promise<void>;

export class FeatureRegistry {
  private readonly iqHandlers = new Map<string, IqHandler>();
  /** disco#info features of the server. */
  readonly serverFeatures = new Set<string>();
  /** disco#info features of every account (bare JID), as the account's owner sees them. */
  readonly accountFeatures = new Set<string>();
  /** disco#info identities every account shows besides account/registered (e.g. XEP-0163 pubsub/pep), to anyone. */
  readonly accountIdentities: Array<{ category: string; type: string; name?: string }> = [];
  /** Contributors of an account's disco#items (e.g. XEP-0163 nodes the requester may see). */
  readonly accountItems: Array<(session: Session, target: { bare: string; local: string }) => Promise<Element[]> | Element[]> = [];
  /** The account features answered to anyone, not only the owner (also listed to others). */
  readonly publicAccountFeatures = new Set<string>();
  /** disco#items of the server (components such as upload). */
  readonly serverItems: Array<{ jid: string; name?: string }> = [];
  /**
   * disco#info / disco#items answers for a `node` (e.g. XEP-0013's
   * `http://jabber.org/protocol/offline`), on the server or on an account.
   */
  readonly discoNodes = new Map<string, DiscoNode>();
  /** XEP-0128 extended information (data forms of type result) of the server's disco#info. */
  readonly serverInfoForms: Element[] = [];
  /** Stream features offered after the post-authentication restart (besides bind). */
  readonly streamFeatures: FeatureProvider[] = [];
  /** Stream features offered before authentication (besides STARTTLS and SASL). */
  readonly preAuthFeatures: Array<(secure: boolean) => Element | undefined> = [];
  /** IQ handlers usable before authentication, by payload namespace (XEP-0077 registration). */
  readonly preAuthIq = new Map<string, PreAuthIqHandler>();
  /** Plain HTTP handlers on the WebSocket listener, by path prefix. */
  readonly httpRoutes = new Map<string, HttpRouteHandler>();
  /** Nonza handlers of bound streams, in registration order. */
  readonly nonzas: NonzaHandler[] = [];
  /** Nonza handlers of authenticated, not yet bound streams. */
  readonly preBindNonzas: PreBindNonzaHandler[] = [];
  /** Called for each stanza a bound client sends, before it is checked (XEP-0198 counts them). */
  readonly stanzaReceived: Array<(session: Session) => void> = [];
  /** A session's connection dropped without a closing handshake: true keeps the session bound (it waits for resumption). */
  readonly connectionLost: Array<(session: Session) => boolean> = [];

  /** Registers the handler for `type`/`target`/payload namespace. */
  onIq(type: 'get' | 'set', target: IqTarget, xmlns: string, handler: IqHandler): void {
    const key = `${type}/${target}/${xmlns}`;
    if (this.iqHandlers.has(key)) throw new Error(`IQ handler ${key} registered twice`);
    this.iqHandlers.set(key, handler);
  }

  /** IQ handlers of components the gateway hosts (e.g. `upload.<domain>`), by component domain, then `type/xmlns`. */
  private readonly componentIqs = new Map<string, Map<string, IqHandler>>();

  /** Registers an IQ handler of a hosted component (its bare domain JID). */
  onComponentIq(domain: string, type: 'get' | 'set', xmlns: string, handler: IqHandler): void {
    const m = this.componentIqs.get(domain) ?? new Map<string, IqHandler>();
    const key = `${type}/${xmlns}`;
    if (m.has(key)) throw new Error(`IQ handler ${key} of ${domain} registered twice`);
    m.set(key, handler);
    this.componentIqs.set(domain, m);
  }

  /** Whether the gateway hosts a component at `domain`. */
  isComponent(domain: string): boolean {
    return this.componentIqs.has(domain);
  }

  /** Finds a hosted component's handler for an IQ, or undefined (→ service-unavailable). */
  componentIqHandler(domain: string, type: string, payload: Element | undefined): IqHandler | undefined {
    if (!payload) return undefined;
    return this.componentIqs.get(domain)?.get(`${type}/${payload.attrs.xmlns ?? ''}`);
  }

  /** Finds the handler for an IQ, or undefined (→ service-unavailable). */
  iqHandler(type: string, target: IqTarget, payload: Element | undefined): IqHandler | undefined {
    if (!payload) return undefined;
    return this.iqHandlers.get(`${type}/${target}/${payload.attrs.xmlns ?? ''}`);
  }
}

/** Runs an IQ handler and turns its outcome into exactly one reply. */
export async function answerIq(handler: IqHandler, iq: Element, session: Session, target: { bare: string; local: string }, onCrash: (e: unknown) => void): Promise<Element | undefined> {
  const from = iq.attrs.to;
  try {
    const payload = await handler(iq, session, target);
    if (payload === HANDLED) return undefined;
    return new Element('iq', { type: 'result', id: iq.attrs.id, to: iq.attrs.from, from }, payload ? [payload] : []);
  } catch (e) {
    const err = e instanceof StanzaError ? e : (onCrash(e), StanzaError.internal());
    return new Element('iq', { type: 'error', id: iq.attrs.id, to: iq.attrs.from, from }, [err.toElement()]);
  }
}

/** Where a stanza is going, already prepared. */
export interface Destination {
  jid: Jid;
  /** True when the domain is ours. */
  local: boolean;
}
