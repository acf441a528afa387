// What a gateway feature module is, and the narrow context it is given (as Prosody
// gives each mod_* its `module:` API). A module never sees the gateway core: it
// declares features, IQ handlers, nonzas and hooks through its context, names the
// APIs of other modules it needs, offers its own, and reads only its own options.
import type { ConfigOf, ConfigSpec } from '@parley/config';
import type { EventEnvelope, StreamSpec } from '@parley/contracts';
import type { Bus } from '@parley/nats';
import type { StanzaError, StreamError } from '@parley/stanza';
import type { Element } from '@parley/xml';
import type { Logger } from 'pino';
import type { AccountsService } from '../auth/accounts.service';
import type { LoginThrottle } from '../auth/throttle';
import type { Directory, ResourceState } from '../session/directory';
import type { Session, SessionTransport } from '../session/session';
import type { Hook, HookHandler, HookKind } from './hooks';
import type { Destination, DiscoNode, FeatureProvider, HttpRouteHandler, IqHandler, IqTarget, NonzaHandler, PreAuthIqHandler, PreBindNonzaHandler } from './registry';

/** The typed API a module offers others; declared in the offering module's `api.ts`. */
export interface ApiRef<T> {
  readonly name: string;
  /** Phantom: the API type. */
  readonly __api?: T;
}

/** Declares an API. */
export function defineApi<T>(name: string): ApiRef<T> {
  return { name };
}

/** A gateway feature module (one folder per RFC/XEP under `modules/`). */
export interface GatewayModule<Api = unknown, Spec extends ConfigSpec = ConfigSpec> {
  /** e.g. `xep-0199-ping`. */
  readonly name: string;
  /** The module's options (environment variables), typed, bounded, documented; read through `ctx.options`. */
  readonly options?: Spec;
  /** APIs this module cannot work without: their modules load first; a missing one stops the start. */
  readonly requires?: ReadonlyArray<ApiRef<unknown>>;
  /** APIs this module uses when they are loaded (their modules load first when present). */
  readonly uses?: ReadonlyArray<ApiRef<unknown>>;
  /** The API this module offers; `init` returns it. */
  readonly provides?: ApiRef<Api>;
  init(ctx: ModuleContext<ConfigOf<Spec>>): Api | Promise<Api>;
}

/** Declares a module with its options typed (a no-op at runtime). */
export function defineModule<Api = void, Spec extends ConfigSpec = Record<never, never>>(m: GatewayModule<Api, Spec>): GatewayModule<Api, Spec> {
  return m;
}

/** Routing, as modules see it. */
export interface RouterPort {
  /** Routes a stanza whose `from` is set; all RFC 6121 §8 rules apply. `origin`: the sending session. */
  route(stanza: Element, origin?: Session): Promise<void>;
  /** Answers `stanza` with an error from the server, unless it is an error itself; `detail` names the rule for the delivery-error log (e.g. `blocked`). */
  bounce(stanza: Element, err: StanzaError, detail?: string): void;
  /** Sends to one resource wherever it is (a local socket or another gateway). */
  deliverTo(bare: string, st: ResourceState, stanza: Element | string): void;
  /** Sends one stanza to several resources, one bus message per remote instance. */
  deliverToMany(bare: string, states: ResourceState[], stanza: Element): void;
  /** Prepares a `to` address; throws StanzaError jid-malformed. */
  destination(to: string): Destination;
  /** Whether stanzas to `domain` have a route: this domain, a hosted component (`upload.<domain>`) or an external one (XEP-0114). */
  reachable(domain: string): boolean;
  /** Counts `work` the router did not wait for (an offline hand-off) as routing in flight: shutdown waits for it. */
  hold(work: Promise<unknown>): void;
}

/** Local sessions, as modules see them. */
export interface SessionsPort {
  /** Re-announces a local session's presence state (and, when given, its carbons flag) to the other gateways. */
  update(session: Session, change?: { carbons?: boolean }): void;
  /** Ends every local session of a user. */
  closeAllLocal(bare: string, error: StreamError): void;
  /** Ends every session of a user, on every gateway instance (`removed`: account removed; `ended`: by an admin). */
  endUser(bare: string, reason: 'removed' | 'ended'): void;
  /** Ends one session of a user wherever it is (false: none); its stream gets the error of `reason`. */
  endSession(bare: string, resource: string, reason: 'removed' | 'ended'): boolean;
  /** Removes a session (close hooks, directory, `sessionEnded`); its stream is not touched. */
  unbind(session: Session, reason: string): void;
  /** Hands a session to another instance: exports its modules' state (`sessionExport`) and removes it quietly (`sessionMoved`). */
  moveOut(session: Session): Record<string, unknown>;
  /** Takes over a session handed over by another instance (`sessionBound`, then `sessionImport`). */
  adopt(full: string, transport: SessionTransport, mechanism: string, core: { available: boolean; priority: number; presence?: Element; carbons: boolean }, modules: Record<string, unknown>): Session;
}

/** Accounts, as modules see them. */
export type AccountsPort = Pick<AccountsService, 'exists' | 'register' | 'delete' | 'changePassword' | 'prepareUsername' | 'count' | 'verifyPassword'> & {
  /** Runs `work` while this gateway answers the removal of `bare` (its sessions close after the reply, not on the event). */
  removing<T>(bare: string, work: () => Promise<T>): Promise<T>;
  /** The failed-login limiter SASL uses (auth/throttle.ts), shared by everything that derives keys for a user. */
  readonly throttle: Pick<LoginThrottle, 'refused' | 'failed' | 'succeeded'>;
};

/** An ordered read of a JetStream stream from its first message, going on with new ones. */
export interface StreamReplay {
  /** Resolves once every message the stream held at the start was handed over. */
  readonly caughtUp: Promise<void>;
  stop(): Promise<void>;
}

/** The bus, as modules see it (NATS core and JetStream; subjects come from @parley/contracts). */
export type ModuleBus = Pick<Bus, 'publish' | 'subscribe' | 'request' | 'serve' | 'ensureStreams' | 'consume'> & {
  /** Publishes on JetStream and waits for the ack; `coalesce`: issued at the end of this event-loop turn with the others queued in it (one socket write for many). */
  publishEvent<T>(event: EventEnvelope<T>, subject?: string, opts?: { coalesce?: boolean }): Promise<void>;
  /** Replays a stream in order (read models rebuilt at start). */
  replay(spec: StreamSpec, onMessage: (data: Uint8Array) => void): Promise<StreamReplay>;
  /** The largest message the NATS server accepts (its `max_payload`). */
  maxPayload(): number;
};

/** What the disco module reads of everyone's declarations. */
export interface DiscoView {
  readonly serverFeatures: ReadonlySet<string>;
  readonly accountFeatures: ReadonlySet<string>;
  /** The account features answered to anyone, not only the owner. */
  readonly publicAccountFeatures: ReadonlySet<string>;
  /** Identities of every account besides account/registered. */
  readonly accountIdentities: ReadonlyArray<{ category: string; type: string; name?: string }>;
  /** disco#items of an account, from every module that contributes some. */
  accountItems(session: Session, target: { bare: string; local: string }): Promise<Element[]>;
  readonly serverItems: ReadonlyArray<{ jid: string; name?: string }>;
  /** XEP-0128 data forms of the server's disco#info. */
  readonly serverInfoForms: ReadonlyArray<Element>;
  node(node: string): DiscoNode | undefined;
}

/** Everything a module may touch. */
export interface ModuleContext<Options = Record<string, unknown>> {
  /** The module's name (also in its log lines). */
  readonly name: string;
  /** The XMPP domain served. */
  readonly domain: string;
  /** This gateway process. */
  readonly instanceId: string;
  /** The software name (XEP-0092, disco identity). */
  readonly serverName: string;
  /** Whether STARTTLS is required before authentication. */
  readonly tlsRequired: boolean;
  /** The module's own options, parsed and bounded. */
  readonly options: Options;
  readonly log: Logger;
  readonly bus: ModuleBus;
  readonly router: RouterPort;
  /** Where every resource of every user is (cluster-wide). */
  readonly directory: Pick<Directory, 'resources' | 'resource' | 'localSessions' | 'userCount'>;
  readonly sessions: SessionsPort;
  readonly accounts: AccountsPort;
  readonly disco: DiscoView;

  /** disco#info feature of the server. */
  serverFeature(ns: string): void;
  /**
   * disco#info feature of every account (bare JID), listed to the owner; with
   * `{ public: true }` also to anyone else, for what is answered to anyone.
   */
  accountFeature(ns: string, opts?: { public?: boolean }): void;
  /** XEP-0128: a data form (type `result`, with a FORM_TYPE) in the server's disco#info. */
  serverInfoForm(form: Element): void;
  /** disco#info identity of every account (shown to anyone), e.g. XEP-0163 `pubsub/pep`. */
  accountIdentity(identity: { category: string; type: string; name?: string }): void;
  /** Contributes `<item/>`s to an account's disco#items (XEP-0030 §4). */
  accountItems(provider: (session: Session, target: { bare: string; local: string }) => Promise<Element[]> | Element[]): void;
  /** disco#items entry of the server. */
  serverItem(item: { jid: string; name?: string }): void;
  /** Answers disco queries carrying `node`. */
  discoNode(node: string, answers: DiscoNode): void;
  /** Post-authentication stream feature (after bind and session), in load order. */
  streamFeature(provider: FeatureProvider): void;
  /** Pre-authentication stream feature (after STARTTLS and SASL). */
  preAuthFeature(provider: (secure: boolean) => Element | undefined): void;
  /** IQ handler for `type`/`target`/payload namespace; see {@link IqHandler} for outcomes. */
  iq(type: 'get' | 'set', target: IqTarget, xmlns: string, handler: IqHandler): void;
  /**
   * IQ handler of a component the gateway hosts at `domain` (a subdomain such as
   * `upload.<domain>`, answered by this module; list it with `serverItem`). Other stanzas
   * to the component, and IQs to a user or resource of it, get `service-unavailable`.
   */
  componentIq(domain: string, type: 'get' | 'set', xmlns: string, handler: IqHandler): void;
  /** IQ handler before authentication (XEP-0077), by payload namespace. */
  preAuthIq(xmlns: string, handler: PreAuthIqHandler): void;
  /** Answers plain HTTP requests for `prefix` and the paths below it on the WebSocket listener. */
  httpRoute(prefix: string, handler: HttpRouteHandler): void;
  /** Non-stanza elements on a bound stream. */
  nonza(handler: NonzaHandler): void;
  /** Non-stanza elements after authentication, before binding (XEP-0198 `<resume/>`). */
  preBindNonza(handler: PreBindNonzaHandler): void;
  /** Sees each stanza a bound client sends, before it is checked. Keep it cheap: it runs per stanza. */
  onStanzaReceived(fn: (session: Session) => void): void;
  /** A connection dropped without a closing handshake; return true to keep its session bound. */
  onConnectionLost(fn: (session: Session) => boolean): void;
  /** Adds a hook handler; higher priorities run first. */
  hook<E, K extends HookKind>(hook: Hook<E, K>, handler: HookHandler<E, K>, priority?: number): void;
  /** Fires hooks this module declared. */
  readonly fire: {
    until<E>(hook: Hook<E, 'until'>, event: E): Promise<boolean>;
    serial<E>(hook: Hook<E, 'serial'>, event: E): Promise<void>;
    each<E>(hook: Hook<E, 'each'>, event: E): void;
  };
  /** The API of a module listed in `requires`. */
  use<T>(api: ApiRef<T>): T;
  /** The API of a module listed in `uses`, when it is loaded. */
  tryUse<T>(api: ApiRef<T>): T | undefined;
  /** Called after the bus reconnected (changes may have been missed meanwhile). */
  onBusReconnect(fn: () => void): void;
  /** Called at shutdown, in reverse order of registration. */
  onStop(fn: () => Promise<void> | void): void;
}

export type { Destination, HttpRouteHandler };
