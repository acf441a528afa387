// XEP-0313 namespaces and disco features.

/** `urn:xmpp:mam:2`: queries, results, fin, prefs (XEP-0441) and metadata. */
export const NS_MAM = 'urn:xmpp:mam:2';
/** Disco feature for before-id/after-id/ids, flipped pages and metadata. */
export const NS_MAM_EXTENDED = 'urn:xmpp:mam:2#extended';
/** XEP-0297 `urn:xmpp:forward:0`. */
export const NS_FORWARD = 'urn:xmpp:forward:0';
/** XEP-0203 `urn:xmpp:delay`. */
export const NS_DELAY = 'urn:xmpp:delay';
/** `jabber:client`, the namespace a forwarded message is in. */
export const NS_CLIENT = 'jabber:client';
