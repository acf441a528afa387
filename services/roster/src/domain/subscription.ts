// RFC 6121 §3 and Appendix A: the subscription state machine as a pure decider.
// One roster entry (the user's view of one contact) moves through the nine defined
// states of A.1, plus two orthogonal flags: the RFC's 'approved' (pre-approval,
// §3.4) and whether the entry is visible in the roster (a "None + Pending In"
// request from someone the user never added is remembered without a roster item).
import type { Subscription, SubscriptionPresenceType } from '@parley/contracts';

/** The state of one roster entry. */
export interface SubscriptionState {
  subscription: Subscription;
  /** The user asked the contact for a subscription ("Pending Out"). */
  pendingOut: boolean;
  /** The contact asked the user for a subscription ("Pending In"). */
  pendingIn: boolean;
  /** The user pre-approved the contact's subscription request (RFC 6121 §3.4). */
  approved: boolean;
  /** The entry is a roster item (visible in roster get and pushes). */
  inRoster: boolean;
}

/** The state of a contact that the user's store knows nothing about. */
export const ABSENT: SubscriptionState = Object.freeze({
  subscription: 'none',
  pendingOut: false,
  pendingIn: false,
  approved: false,
  inRoster: false,
});

/** A subscription presence stanza as seen from the user's side. */
export interface SubscriptionEvent {
  direction: 'outbound' | 'inbound';
  type: SubscriptionPresenceType;
}

/** What the user's server must do. */
export interface Decision {
  state: SubscriptionState;
  /** Outbound: route the stanza to the contact. Inbound: deliver it to the user. */
  deliver: boolean;
  /** Presence the server sends to the contact on the user's behalf. */
  autoReply?: 'subscribed';
  /** Presence the user's available resources send to the contact: their current presence, or unavailable. */
  sendPresence?: 'available' | 'unavailable';
  /** The roster item as the client sees it changed (or appeared/disappeared): push it. */
  push: boolean;
  /** The entry no longer needs to be stored. */
  forget: boolean;
}

/** Appendix A.1 names, for tests and logs: "None + Pending Out+In", "Both", ... */
export function definedStateName(s: Pick<SubscriptionState, 'subscription' | 'pendingOut' | 'pendingIn'>): string {
  const base = { none: 'None', to: 'To', from: 'From', both: 'Both' }[s.subscription];
  if (s.pendingOut && s.pendingIn) return `${base} + Pending Out+In`;
  if (s.pendingOut) return `${base} + Pending Out`;
  if (s.pendingIn) return `${base} + Pending In`;
  return base;
}

const hasTo = (s: Subscription) => s === 'to' || s === 'both';
const hasFrom = (s: Subscription) => s === 'from' || s === 'both';

function subscriptionOf(to: boolean, from: boolean): Subscription {
  if (to && from) return 'both';
  if (to) return 'to';
  if (from) return 'from';
  return 'none';
}

/** Builds a state from "to"/"from" plus flags, keeping the RFC invariants (no pending where subscribed). */
function make(to: boolean, from: boolean, pendingOut: boolean, pendingIn: boolean, approved: boolean, inRoster: boolean): SubscriptionState {
  return {
    subscription: subscriptionOf(to, from),
    pendingOut: pendingOut && !to,
    pendingIn: pendingIn && !from,
    approved: approved && !from,
    inRoster,
  };
}

/** Whether two states look the same in a roster item (subscription, ask, approved, presence in the roster). */
export function sameVisibleState(a: SubscriptionState, b: SubscriptionState): boolean {
  if (!a.inRoster && !b.inRoster) return true;
  return a.inRoster === b.inRoster && a.subscription === b.subscription && a.pendingOut === b.pendingOut && a.approved === b.approved;
}

/**
 * Decides the effect of one subscription stanza on the user's entry for a contact.
 * `current` is {@link ABSENT} when the store has no entry. The rows of RFC 6121
 * Appendix A (A.2 outbound, A.3 inbound) are implemented literally; pre-approval
 * (§3.4) and roster-item creation (§3.1.2, §3.1.5) are layered on top.
 */
export function decide(current: SubscriptionState, event: SubscriptionEvent): Decision {
  const to = hasTo(current.subscription);
  const from = hasFrom(current.subscription);
  const { pendingOut: out, pendingIn: inn, approved, inRoster } = current;
  let next = current;
  let deliver = false;
  let autoReply: Decision['autoReply'];
  let sendPresence: Decision['sendPresence'];

  if (event.direction === 'outbound') {
    switch (event.type) {
      case 'subscribe':
        // A.2.1: always routed; Pending Out unless already subscribed. §3.1.2: the
        // contact is added to the roster when absent.
        deliver = true;
        next = make(to, from, !to || out, inn, approved, true);
        break;
      case 'unsubscribe':
        // A.2.2: always routed; drops "To" and "Pending Out".
        deliver = true;
        next = make(false, from, false, inn, approved, inRoster);
        break;
      case 'subscribed':
        if (inn) {
          // A.2.3: "... + Pending In" → approval is routed; the contact gets "from".
          // §3.1.5: the user's server then sends the user's current presence.
          deliver = true;
          next = make(to, true, out, false, false, true);
          sendPresence = 'available';
        } else if (!from) {
          // A.2.3 "None", "None + Pending Out", "To": not routed; §3.4 pre-approval
          // (advertised) marks the contact approved, adding it to the roster if absent.
          next = make(to, from, out, inn, true, true);
        }
        // "From", "From + Pending Out", "Both": not routed, no change.
        break;
      case 'unsubscribed':
        if (inn || from) {
          // A.2.4: denying a request or cancelling the contact's subscription is routed;
          // §3.2.2: a contact that had "from" first gets unavailable presence.
          deliver = true;
          next = make(to, false, out, false, false, inRoster);
          if (from) sendPresence = 'unavailable';
        } else if (approved) {
          // §3.4: unsubscribed cancels a pre-approval (not routed: the contact asked nothing).
          next = make(to, from, out, inn, false, inRoster);
        }
        break;
    }
  } else {
    switch (event.type) {
      case 'subscribe':
        if (from) {
          // A.3.1 "From", "From + Pending Out", "Both": not delivered; the server
          // auto-replies subscribed (§3.1.3) and sends current presence.
          autoReply = 'subscribed';
          sendPresence = 'available';
        } else if (approved) {
          // §3.4: pre-approved → auto-reply subscribed, contact gets "from", not delivered.
          autoReply = 'subscribed';
          sendPresence = 'available';
          next = make(to, true, out, false, false, inRoster);
        } else if (!inn) {
          // A.3.1 "None", "None + Pending Out", "To": delivered, now Pending In
          // (kept without a roster item when the contact is not in the roster, §3.1.3).
          deliver = true;
          next = make(to, from, out, true, approved, inRoster);
        }
        // "... + Pending In": a duplicate request, not delivered.
        break;
      case 'unsubscribe':
        if (inn || from) {
          // A.3.2: delivered; the contact's request or subscription ends. §3.3.3: the
          // user's resources send unavailable to a contact that had "from".
          deliver = true;
          next = make(to, false, out, false, approved, inRoster);
          if (from) sendPresence = 'unavailable';
        }
        break;
      case 'subscribed':
        if (out) {
          // A.3.3 "... + Pending Out" (incl. Out+In): delivered, the user gets "to".
          deliver = true;
          next = make(true, from, false, inn, approved, inRoster);
        }
        break;
      case 'unsubscribed':
        if (out || to) {
          // A.3.4: delivered; the user's request is denied or subscription cancelled.
          deliver = true;
          next = make(false, from, false, inn, approved, inRoster);
        }
        break;
    }
  }

  const forget = !next.inRoster && !next.pendingIn;
  return {
    state: forget ? ABSENT : next,
    deliver,
    autoReply,
    sendPresence,
    push: !sameVisibleState(current, next),
    forget,
  };
}

/**
 * RFC 6121 §2.5.3: the presences the user's server sends when the user removes a
 * contact from the roster. Pending requests are cancelled too, so that neither
 * side keeps waiting on a contact that is gone.
 */
export function presencesOnRemoval(s: SubscriptionState): { types: SubscriptionPresenceType[]; sendUnavailable: boolean } {
  const types: SubscriptionPresenceType[] = [];
  if (hasTo(s.subscription) || s.pendingOut) types.push('unsubscribe');
  if (hasFrom(s.subscription) || s.pendingIn) types.push('unsubscribed');
  return { types, sendUnavailable: hasFrom(s.subscription) };
}
