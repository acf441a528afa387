// The hooks the gateway itself fires, with the event each carries. A stanza's events
// share one `data` map from the client's outbound hooks through inbound hooks,
// delivery and `messageSent`: what one module learns about that stanza (the archive's
// stanza-id, a removed <private/> marker) travels with it, not in a side table.
import type { Element } from '@parley/xml';
import type { ResourceState } from '../session/directory';
import type { Session } from '../session/session';
import { defineHook } from './hooks';
import type { Destination } from './registry';
import type { SlotMap } from './slots';

/** A client's presence, before routing; `to` is absent for broadcast presence. */
export interface OutboundPresenceEvent {
  readonly session: Session;
  readonly stanza: Element;
  readonly to: Destination | undefined;
  readonly data: SlotMap;
}

/** Any client stanza with its prepared destination, before routing. */
export interface OutboundEvent {
  readonly session: Session;
  readonly stanza: Element;
  readonly to: Destination;
  readonly data: SlotMap;
}

/** A stanza for a local account, before delivery. `origin` is the sending session on this gateway, if any. */
export interface InboundEvent {
  readonly stanza: Element;
  readonly to: Destination;
  readonly origin: Session | undefined;
  readonly data: SlotMap;
}

/** A chat/normal message for an existing account with no available non-negative resource. */
export interface OfflineEvent {
  readonly stanza: Element;
  readonly toBare: string;
  readonly data: SlotMap;
  /** The local session that sent it, when there is one (Session.continueWhile). */
  readonly origin?: Session;
}

/** A message reached these resources of a local account. */
export interface DeliveredEvent {
  readonly stanza: Element;
  readonly toBare: string;
  readonly delivered: string[];
  readonly data: SlotMap;
}

/** A client's message was routed. */
export interface SentEvent {
  readonly session: Session;
  readonly stanza: Element;
  readonly to: Destination;
  readonly data: SlotMap;
}

/** A session's lifecycle. */
export interface SessionEvent {
  readonly session: Session;
  /** Why it closed or ended (`closed`, `disconnected`, `conflict`, `resume-timeout`...). */
  readonly reason: string;
}

/** A peer gateway vanished with these resources. */
export interface PeerGoneEvent {
  readonly instanceId: string;
  readonly dropped: Array<{ bare: string; state: ResourceState }>;
}

export interface PeerBackEvent {
  readonly instanceId: string;
  /** Resources the directory did not hold before the re-sync. */
  readonly added: Array<{ bare: string; state: ResourceState }>;
}

/**
 * A session moving to another gateway instance (XEP-0198 resumption there): each module
 * writes what it keeps for the session under its own name in `state` (JSON values only).
 */
export interface SessionExportEvent {
  readonly session: Session;
  readonly state: Record<string, unknown>;
}

/** A session arrived from another instance: each module takes back what it exported there. */
export interface SessionImportEvent {
  readonly session: Session;
  readonly state: Readonly<Record<string, unknown>>;
}

/** The gateway is shutting down (SIGTERM). */
export type ShutdownEvent = Record<string, never>;

/** Hooks fired by the gateway (router, sessions, cluster). Priorities: higher first. */
export const CoreHooks = {
  /** `until`: a client's presence (RFC 6121 §4), before the router sees it; true = consumed. */
  outboundPresence: defineHook<OutboundPresenceEvent, 'until'>('outbound-presence', 'until'),
  /** `until`: any client stanza with its destination, before routing (blocking refuses here). */
  outbound: defineHook<OutboundEvent, 'until'>('outbound', 'until'),
  /** `until`: any stanza for a local account, before delivery, wherever it came from. */
  inbound: defineHook<InboundEvent, 'until'>('inbound', 'until'),
  /** `until`: true when the message was stored (or deliberately dropped/bounced). */
  offline: defineHook<OfflineEvent, 'until'>('offline', 'until'),
  /** `each`: a message was delivered to resources of a local account (received carbons). */
  messageDelivered: defineHook<DeliveredEvent, 'each'>('message-delivered', 'each'),
  /** `each`: a client's message was routed (sent carbons, archive of outgoing messages). */
  messageSent: defineHook<SentEvent, 'each'>('message-sent', 'each'),
  /** `each`: a session was bound. */
  sessionBound: defineHook<SessionEvent, 'each'>('session-bound', 'each'),
  /** `each`: a session is closing (still in the directory; unavailable presence goes out here). */
  sessionClosed: defineHook<SessionEvent, 'each'>('session-closed', 'each'),
  /** `each`: a session left the directory for good. */
  sessionEnded: defineHook<SessionEvent, 'each'>('session-ended', 'each'),
  /** `each`: a session is handed to another instance: export its per-module state (nothing is sent to anyone). */
  sessionExport: defineHook<SessionExportEvent, 'each'>('session-export', 'each'),
  /**
   * `each`: a session handed to another instance left this one: release what is kept for it,
   * without the side effects of an end (no unavailable presence, no re-routing: it goes on there).
   */
  sessionMoved: defineHook<SessionEvent, 'each'>('session-moved', 'each'),
  /** `each`: a session taken over from another instance, after `sessionBound`: import its per-module state. */
  sessionImport: defineHook<SessionImportEvent, 'each'>('session-import', 'each'),
  /** `serial`: the gateway is stopping; before its streams are ended (stream management moves resumable sessions away). */
  shutdown: defineHook<ShutdownEvent, 'serial'>('shutdown', 'serial'),
  /** `each`: a peer gateway vanished. */
  peerGone: defineHook<PeerGoneEvent, 'each'>('peer-gone', 'each'),
  /** A peer's sessions came back into the directory by a re-sync (after a NATS outage): the resources that were not known. */
  peerBack: defineHook<PeerBackEvent, 'each'>('peer-back', 'each'),
} as const;
