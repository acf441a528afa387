// When does a stanza written to a session count as delivered? Offline messages are
// deleted from storage (`offline.cmd.ack`) only once their delivery is confirmed.
//
// The session answers that (`Session.whenDelivered`): without stream management, once
// written; with XEP-0198, when the client's `<a h='…'/>` covers everything written so
// far, or never (false) when the session ends unacknowledged. This seam lets a
// transport with another notion of delivery take over per session.
import type { Session } from '../../session/session';

/**
 * Resolves `true` once the client has every stanza written to `session` before the
 * call, or `false` as soon as that can no longer happen (the session ended for good
 * with some of them unacknowledged). Must settle once the session is gone, and must
 * not wait on input the caller's own stanza processing could be holding up.
 */
export type DeliveryConfirmer = (session: Session) => Promise<boolean>;

/** The default: whatever the session knows (written, or XEP-0198 acknowledged). */
export const confirmBySession: DeliveryConfirmer = (session) => new Promise((resolve) => session.whenDelivered(resolve));

/** Per-session overrides of {@link confirmBySession} (none today; e.g. a transport with its own receipts). */
export const deliveryConfirmations = new WeakMap<Session, DeliveryConfirmer>();

/** The confirmer in force for `session`. */
export function confirmerFor(session: Session): DeliveryConfirmer {
  return deliveryConfirmations.get(session) ?? confirmBySession;
}
