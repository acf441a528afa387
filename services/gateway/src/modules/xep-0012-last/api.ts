// XEP-0012 Last Activity: what other modules may use.

/** The Last Activity namespace. */
export const NS_LAST = 'jabber:iq:last';
