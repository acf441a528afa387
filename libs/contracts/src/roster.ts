// Roster-owned subjects, streams and payloads (RFC 6121 rosters, subscriptions; XEP-0191 blocking).
import type { StreamSpec } from './streams';

/** Roster and block-list changes, for gateways (pushes) and other projections. */
export const ROSTER_EVENTS: StreamSpec = {
  name: 'ROSTER_EVENTS',
  subjects: ['roster.evt.>'],
  retention: 'limits',
  maxAgeMs: 7 * 24 * 3600 * 1000,
  description: 'roster item and block-list changes (JIDs and subscription states, no content)',
};
