// JetStream streams: what must not be lost. Names and subjects are spelled only
// here; the platform applies the deployment namespace (NATS_NAMESPACE) to both.

/** How a stream keeps its messages. */
export interface StreamSpec {
  /** Stream name (upper snake case). */
  name: string;
  /** Subjects the stream captures. */
  subjects: string[];
  /** `limits`: kept for `maxAgeMs` for any number of consumers; `workqueue`: removed once acked. */
  retention: 'limits' | 'workqueue';
  /** Oldest message kept, in milliseconds; 0 keeps messages until removed otherwise. */
  maxAgeMs: number;
  /** Keep only the newest N messages per subject (e.g. 1 for a per-user "latest state" stream). */
  maxMsgsPerSubject?: number;
  /** What the stream carries, for operators. */
  description: string;
}

const DAY = 24 * 3600 * 1000;

/** Account and session facts published by the gateway. */
export const GATEWAY_EVENTS: StreamSpec = {
  name: 'GATEWAY_EVENTS',
  subjects: [
    'gateway.evt.account-registered',
    'gateway.evt.account-deleted',
    'gateway.evt.session-opened',
    'gateway.evt.session-closed',
    'gateway.evt.sessions-changed',
  ],
  retention: 'limits',
  // One day, not a week: the stream names who logged in when, and its consumers (the
  // janitor's activity table, the owners' erasure on account-deleted) need it only to
  // survive an outage of hours. Anything older is a login history no policy names.
  maxAgeMs: 1 * DAY,
  description: 'account-registered, account-deleted, sessions-changed (and session-opened/-closed from older gateways); no IP addresses, no content; kept one day',
};


/** Undeliverable stanzas (who, to whom, why; never content), until the janitor's log has them. */
export const GATEWAY_DELIVERY_FAILURES: StreamSpec = {
  name: 'GATEWAY_DELIVERY_FAILURES',
  subjects: ['gateway.evt.delivery-failed'],
  retention: 'limits',
  maxAgeMs: 1 * DAY,
  description: 'delivery-failed (sender, recipient, kind, reason; no content, no addresses)',
};
