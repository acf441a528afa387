// Every JetStream stream Parley uses, for provisioning and tests.
import { ARCHIVE_EVENTS, ARCHIVE_INBOX, ARCHIVE_PREFS } from './archive';
import { GATEWAY_DELIVERY_FAILURES, GATEWAY_EVENTS, type StreamSpec } from './streams';
import { JANITOR_EVENTS } from './janitor';
import { ERASURE_CONFIRMATIONS } from './erasure';
import { OFFLINE_EVENTS, OFFLINE_INBOX } from './offline';
import { ROSTER_EVENTS } from './roster';

/** All streams; each service provisions the ones it publishes to or consumes. */
export const ALL_STREAMS: StreamSpec[] = [GATEWAY_EVENTS, ROSTER_EVENTS, OFFLINE_INBOX, OFFLINE_EVENTS, ARCHIVE_INBOX, ARCHIVE_EVENTS, ARCHIVE_PREFS, GATEWAY_DELIVERY_FAILURES, JANITOR_EVENTS, ERASURE_CONFIRMATIONS];
