// The key a user's uploads are filed under: the prepared bare JID (RFC 7622).
import { tryParseJid } from '@parley/jid';

/** The prepared bare JID of an account JID, or undefined when `jid` is not one. */
export function userKey(jid: unknown): string | undefined {
  if (typeof jid !== 'string' || jid.length > 3071) return undefined;
  const j = tryParseJid(jid);
  return j?.local ? j.bareString : undefined;
}
