// What the presence module offers other modules: its API (directed presence it
// tracks) and two hooks — who else gets a user's broadcast presence (the roster's
// subscribers) and work after a session's initial presence (probes, pending
// subscription requests, offline messages).
import type { Element } from '@parley/xml';
import { defineApi, defineHook, Session } from '../../host';

export interface PresenceApi {
  /** JIDs that received directed available presence from `session` (RFC 6121 §4.6). */
  directedTo(session: Session): ReadonlySet<string>;
  /** Forgets one (it must not be told of unavailability, e.g. it is now blocked); true when it was there. */
  forgetDirected(session: Session, jid: string): boolean;
}

export const PRESENCE = defineApi<PresenceApi>('rfc6121-presence');

/** Collects the JIDs (bare or full) besides the user's own resources that get `session`'s broadcast presence. */
export interface BroadcastTargetsEvent {
  readonly session: Session;
  /** Handlers add to it; duplicates are sent once. */
  readonly targets: string[];
}

export interface InitialPresenceEvent {
  readonly session: Session;
}

export const PresenceHooks = {
  /** `serial`: RFC 6121 §4.2.2 — who else gets a broadcast (subscribers). */
  broadcastTargets: defineHook<BroadcastTargetsEvent, 'serial'>('rfc6121-presence/broadcast-targets', 'serial'),
  /** `serial`: after a session's initial presence, in priority order. */
  afterInitial: defineHook<InitialPresenceEvent, 'serial'>('rfc6121-presence/after-initial', 'serial'),
} as const;

/** Reads `<priority/>` (RFC 6121 §4.7.2.3): an integer in -128..127, default 0. */
export function presencePriority(p: Element): number {
  const raw = p.getChildText('priority');
  const n = raw === undefined ? 0 : Number.parseInt(raw, 10);
  return Number.isFinite(n) ? Math.max(-128, Math.min(127, n)) : 0;
}
