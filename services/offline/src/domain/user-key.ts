// The key a user's messages are filed under.
import { createHash } from 'node:crypto';
import { tryParseJid } from '@parley/jid';

/**
 * The prepared bare JID of an account JID (RFC 7622 with @parley/jid, as everywhere
 * else), or undefined when `jid` is not one (no localpart, or not a JID). The gateway
 * sends prepared bare JIDs, for which this is the identity; it keeps a stray resource
 * or an unprepared form from splitting one user's messages across two keys.
 */
export function userKey(jid: string): string | undefined {
  const j = tryParseJid(jid);
  return j?.local ? j.bareString : undefined;
}

/** A one-way token for a user key, for markers that must outlive the account (hex SHA-256). */
export function userHash(key: string): string {
  return createHash('sha256').update(`parley-offline/${key}`).digest('hex');
}
