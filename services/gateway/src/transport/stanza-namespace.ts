// Framings that carry stanzas outside a `<stream:stream xmlns='jabber:client'>` (RFC 7395
// WebSocket messages, XEP-0206 BOSH bodies) must name the namespace the stream header
// would have given them.
import { NS } from '@parley/stanza';

/** Adds `xmlns='jabber:client'` to a serialized message, presence or iq that does not declare a namespace. */
export function qualifyStanza(xml: string): string {
  const m = /^<(message|presence|iq)\b([^>]*)>/.exec(xml) ?? /^<(message|presence|iq)\b([^>]*)\/>/.exec(xml);
  if (m && !/\sxmlns=/.test(m[2])) return xml.replace(/^<(message|presence|iq)\b/, `<$1 xmlns='${NS.client}'`);
  return xml;
}
