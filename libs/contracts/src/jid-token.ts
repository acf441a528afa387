// NATS uses '.' as a token separator and treats '*' and '>' as wildcards, while JIDs
// contain dots; so a JID never appears in a subject raw, only as this token.

/** Encodes a (bare or full) JID string into one NATS-safe subject token (base64url). */
export function jidToken(jid: string): string {
  return Buffer.from(jid, 'utf8').toString('base64url');
}

/** Decodes a token made by {@link jidToken}. */
export function jidFromToken(token: string): string {
  return Buffer.from(token, 'base64url').toString('utf8');
}
