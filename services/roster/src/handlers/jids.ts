// JIDs at the edge of the service: prepared with @parley/jid (RFC 7622), or the
// request is answered `jid-malformed`.
import { parseJid } from '@parley/jid';
import { ReplyException } from '@parley/nats';

function parse(value: unknown, what: string) {
  if (typeof value !== 'string' || value === '') throw ReplyException.of('jid-malformed', `${what} is missing`);
  try {
    return parseJid(value);
  } catch (e) {
    throw ReplyException.of('jid-malformed', `${what} is not a valid JID: ${(e as Error).message}`);
  }
}

/** A contact or block-list JID in any form, prepared. */
export function prepareJid(value: unknown, what = 'the JID'): string {
  return parse(value, what).toString();
}

/** The bare form of a JID (subscriptions are between bare JIDs, RFC 6121 §3). */
export function prepareBareJid(value: unknown, what = 'the JID'): string {
  return parse(value, what).bareString;
}

/** The local user a request is about: a bare JID with a localpart. */
export function prepareUser(value: unknown): string {
  const jid = parse(value, 'the user');
  if (!jid.local) throw ReplyException.of('jid-malformed', 'the user must be an account JID (localpart@domain)');
  return jid.bareString;
}
