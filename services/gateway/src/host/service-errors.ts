// Turns a failed roster-service request into the stanza error the client gets:
// the service's own condition when it refused, a prompt `internal-server-error`
// (type wait) when nobody answered (RFC 6121 §2.2.3 names it for a roster that
// cannot be returned). Anything else is a bug and is rethrown (→ logged, 500).
import { BusReplyError, BusUnavailableError } from '@parley/nats';
import { StanzaError } from '@parley/stanza';

/** The stanza error for a failed request; rethrows what is not a bus failure. */
export function serviceError(e: unknown): StanzaError {
  if (e instanceof StanzaError) return e;
  if (e instanceof BusReplyError) return new StanzaError(e.error.condition, e.error.text, e.error.type);
  if (e instanceof BusUnavailableError) return new StanzaError('internal-server-error', 'the roster service is unavailable; try again later', 'wait');
  throw e;
}
