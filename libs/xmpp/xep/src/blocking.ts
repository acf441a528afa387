// XEP-0191 §3.3 (JID matching of XEP-0016 §2.1) on prepared JID strings: which
// addresses a block-list entry covers. Works on strings (no parsing per stanza):
// entries are stored prepared, and stanza addresses are stamped by the server. The
// roster service and the gateway both decide with these functions.

/** The parts of a prepared JID string (RFC 7622 §3.1: split at the first '/', then '@'). */
export function jidParts(jid: string): { local?: string; domain: string; resource?: string } {
  const slash = jid.indexOf('/');
  const head = slash < 0 ? jid : jid.slice(0, slash);
  const resource = slash < 0 ? undefined : jid.slice(slash + 1);
  const at = head.indexOf('@');
  return at < 0 ? { domain: head, resource } : { local: head.slice(0, at), domain: head.slice(at + 1), resource };
}

/**
 * Whether the entry `blocked` covers the address `jid`: a full JID only itself; a
 * bare JID itself and any of its resources; `domain/resource` only that; a domain
 * everything at that domain.
 */
export function blockCovers(blocked: string, jid: string): boolean {
  const b = jidParts(blocked);
  const j = jidParts(jid);
  if (b.domain !== j.domain) return false;
  if (b.local === undefined) return b.resource === undefined || (j.local === undefined && j.resource === b.resource);
  if (b.local !== j.local) return false;
  return b.resource === undefined || b.resource === j.resource;
}

/** Whether any entry of `list` covers `jid`. */
export function isBlocked(list: Iterable<string>, jid: string): boolean {
  for (const b of list) if (blockCovers(b, jid)) return true;
  return false;
}

/**
 * A block list prepared for matching: one parse of the address and at most four set
 * lookups per check, whatever the length of the list (same rules as blockCovers).
 */
export class BlockSet {
  private readonly exact = new Set<string>();
  private readonly domains = new Set<string>();

  constructor(readonly jids: readonly string[]) {
    for (const j of jids) {
      if (j.includes('@') || j.includes('/')) this.exact.add(j);
      else this.domains.add(j);
    }
  }

  get size(): number {
    return this.jids.length;
  }

  /** Whether an entry covers the prepared JID `jid`. */
  covers(jid: string): boolean {
    if (this.jids.length === 0) return false;
    const slash = jid.indexOf('/');
    const bare = slash < 0 ? jid : jid.slice(0, slash);
    const at = bare.indexOf('@');
    if (this.domains.size && this.domains.has(at < 0 ? bare : bare.slice(at + 1))) return true;
    if (at < 0) return slash >= 0 && this.exact.has(jid); // domain/resource entries
    return this.exact.has(bare) || (slash >= 0 && this.exact.has(jid));
  }
}
