// XEP-0352 §5: what may wait while a client is inactive. Presence updates and
// messages without a body (chat states, markers) wait; anything else — a message
// someone wrote, an IQ, an error — goes out at once, after what waited.

/** True when a serialized stanza must be sent at once even to an inactive client. */
export function isUrgent(xml: string): boolean {
  if (xml.startsWith('<presence')) {
    // subscription requests and errors are things a person must see
    return /^<presence[^>]*\btype=["'](subscribe|subscribed|unsubscribe|unsubscribed|error)["']/.test(xml);
  }
  if (xml.startsWith('<message')) return xml.includes('<body') || xml.includes('<encrypted') || /^<message[^>]*\btype=["']error["']/.test(xml);
  return true;
}

/** Stanzas held for one inactive client before they are sent anyway. */
export const CSI_MAX_HELD = 100;
