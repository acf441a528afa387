// The parts of a JID string, split as RFC 7622 §3.1 reads an address: the resourcepart
// starts at the first '/', the localpart ends at the first '@' before it. No
// preparation happens here: use these on JIDs that are already prepared (everything a
// gateway routes, everything a service stored), and parseJid on anything else.

/** `local@domain` (or `domain`) of a JID string: everything before the first '/'. */
export function bareOf(jid: string): string {
  const slash = jid.indexOf('/');
  return slash < 0 ? jid : jid.slice(0, slash);
}

/** The domainpart of a JID string. */
export function domainOf(jid: string): string {
  const bare = bareOf(jid);
  return bare.slice(bare.indexOf('@') + 1);
}

/** The localpart of a JID string, or undefined when it has none. */
export function localOf(jid: string): string | undefined {
  const bare = bareOf(jid);
  const at = bare.indexOf('@');
  return at < 0 ? undefined : bare.slice(0, at);
}

/** The resourcepart of a JID string (everything after the first '/', '/' included), or undefined. */
export function resourceOf(jid: string): string | undefined {
  const slash = jid.indexOf('/');
  return slash < 0 ? undefined : jid.slice(slash + 1);
}
