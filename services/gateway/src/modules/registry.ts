// The feature registry: each XEP module registers its disco features, stream
// features, IQ handlers and stanza hooks here, so there is no central list to forget
// (as Prosody's module:add_feature / module:hook).
import { Element } from '@parley/xml';
import { StanzaError } from '@parley/stanza';
import type { Session } from '../session/session';

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

/** Registry of everything modules contribute. */
export class FeatureRegistry {
  private readonly iqHandlers = new Map<string, IqHandler>();
  /** disco#info features of the server. */
  readonly serverFeatures = new Set<string>();
  /** disco#info features of every account (bare JID), as the account's owner sees them. */
  readonly accountFeatures = new Set<string>();
  /** The account features answered to anyone, not only the owner (also listed to others). */
  readonly publicAccountFeatures = new Set<string>();
  /** disco#items of the server (components such as upload). */
  readonly serverItems: Array<{ jid: string; name?: string }> = [];
  /**
   * disco#info / disco#items answers for a `node` (e.g. XEP-0013's
   * `http://jabber.org/protocol/offline`), on the server or on an account.
   */
  readonly discoNodes = new Map<string, DiscoNode>();
  /** Stream features offered after the post-authentication restart (besides bind). */
  readonly streamFeatures: FeatureProvider[] = [];
  /** Stream features offered before authentication (besides STARTTLS and SASL). */
  readonly preAuthFeatures: Array<(secure: boolean) => Element | undefined> = [];
  /** IQ handlers usable before authentication, by payload namespace (XEP-0077 registration). */
  readonly preAuthIq = new Map<string, PreAuthIqHandler>();

  /** Registers the handler for `type`/`target`/payload namespace. */
  onIq(type: 'get' | 'set', target: IqTarget, xmlns: string, handler: IqHandler): void {
    const key = `${type}/${target}/${xmlns}`;
    if (this.iqHandlers.has(key)) throw new Error(`IQ handler ${key} registered twice`);
    this.iqHandlers.set(key, handler);
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
  jid: import('@parley/jid').Jid;
  /** True when the domain is ours. */
  local: boolean;
}

/**
 * Stanza hooks modules add. Each returns true when it consumed the stanza (stop),
 * false to let routing go on. They run in registration order.
 */
export class StanzaHooks {
  /** A client's presence without `to` (broadcast) or subscription/probe presence. */
  readonly outboundPresence: Array<(session: Session, stanza: Element, to: Destination | undefined) => Promise<boolean> | boolean> = [];
  /** Any stanza from a client before it is routed (e.g. blocking: refuse to send to a blocked JID). */
  readonly outbound: Array<(session: Session, stanza: Element, to: Destination) => Promise<boolean> | boolean> = [];
  /** Any stanza for a local account before it is delivered (e.g. blocking drops, subscription presence). */
  readonly inbound: Array<(stanza: Element, to: Destination) => Promise<boolean> | boolean> = [];
  /** A chat/normal message for an existing account with no available resource: store it (true) or not. */
  readonly offline: Array<(stanza: Element, toBare: string) => Promise<boolean> | boolean> = [];
  /** A message was delivered to these local-account resources (carbons, archive). */
  readonly messageDelivered: Array<(stanza: Element, toBare: string, delivered: string[]) => void> = [];
  /** A client's message was routed (sent carbons, archive of outgoing). */
  readonly messageSent: Array<(session: Session, stanza: Element, to: Destination) => void> = [];
  /** Sessions coming and going. */
  readonly sessionBound: Array<(session: Session) => void> = [];
  readonly sessionClosed: Array<(session: Session, reason: string) => void | Promise<void>> = [];
  /** After a session left the directory (nothing can route to it any more). */
  readonly sessionEnded: Array<(session: Session, reason: string) => void> = [];
}
