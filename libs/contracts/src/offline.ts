// Offline-owned subjects, streams and payloads (RFC 6121 §8.5.2.2, XEP-0160, XEP-0013).
import type { StreamSpec } from './streams';

/**
 * Stanzas handed to offline storage. Work-queue retention: a message leaves NATS as
 * soon as the offline service committed it; the max age bounds an outage.
 */
export const OFFLINE_INBOX: StreamSpec = {
  name: 'OFFLINE_INBOX',
  subjects: ['offline.cmd.store'],
  retention: 'workqueue',
  maxAgeMs: 3 * 24 * 3600 * 1000,
  description: 'messages for offline users, removed once stored (content: short-lived)',
};

/** Offline-service facts: delivery failures (never content), sweeps. */
export const OFFLINE_EVENTS: StreamSpec = {
  name: 'OFFLINE_EVENTS',
  subjects: ['offline.evt.>'],
  retention: 'limits',
  maxAgeMs: 7 * 24 * 3600 * 1000,
  description: 'delivery-failed (from, to, reason, time; never content), swept',
};
