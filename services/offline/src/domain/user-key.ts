// The key a user's messages are filed under.
import { createHash } from 'node:crypto';

/**
 * The bare JID of `jid`, NFC-normalised and lower-cased. The gateway sends prepared bare
 * JIDs (RFC 7622), for which this is the identity; it only keeps a stray resource or a
 * case difference from splitting one user's messages across two keys.
 */
export function userKey(jid: string): string {
  const slash = jid.indexOf('/');
  const bare = slash === -1 ? jid : jid.slice(0, slash);
  return bare.normalize('NFC').toLowerCase();
}

/** The domain part of a (bare or full) JID. */
export function domainOf(jid: string): string {
  const slash = jid.indexOf('/');
  const bare = slash === -1 ? jid : jid.slice(0, slash);
  const at = bare.lastIndexOf('@');
  return at === -1 ? bare : bare.slice(at + 1);
}

/** A one-way token for a user key, for markers that must outlive the account (hex SHA-256). */
export function userHash(key: string): string {
  return createHash('sha256').update(`parley-offline/${key}`).digest('hex');
}
