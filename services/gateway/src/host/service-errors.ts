// The one mapping from a failed back-end request to the stanza error a client gets,
// used by every module that asks a service (roster, blocking, offline, archive):
//   - the service answered with an error: that condition, type and text;
//   - nobody answered, or not in time (BusUnavailableError): `service-unavailable`
//     (RFC 6120 §8.3.3.19), type `wait` — the service is down or overloaded, try later.
// Anything else is a bug in the gateway and is rethrown (→ logged, internal-server-error).
import { BusReplyError, BusUnavailableError } from '@parley/nats';
import { StanzaError, StanzaErrorType } from '@parley/stanza';

/** The stanza error for a failed request to `service` (named in the text when it is unavailable). */
export function serviceError(e: unknown, service: string): StanzaError {
  if (e instanceof StanzaError) return e;
  if (e instanceof BusReplyError) return new StanzaError(e.error.condition, e.error.text, e.error.type as StanzaErrorType | undefined);
  if (e instanceof BusUnavailableError) return new StanzaError('service-unavailable', `the ${service} is not available right now; try again later`, 'wait');
  throw e;
}
