// Server Dialback (XEP-0220) keys and names. Keys are computed, never stored: any
// gateway given the same S2S_DIALBACK_SECRET answers a verification for a stream
// another gateway opened (XEP-0185: HMAC-SHA256 keyed with the SHA-256 of the secret,
// over "receiving originating stream-id").
import { createHash, createHmac, timingSafeEqual } from 'node:crypto';

export const NS_SERVER = 'jabber:server';
export const NS_DIALBACK = 'jabber:server:dialback';
export const NS_DIALBACK_FEATURE = 'urn:xmpp:features:dialback';
export const NS_TLS = 'urn:ietf:params:xml:ns:xmpp-tls';

/** The dialback key (hex) of a stream from `originating` to `receiving` with id `streamId`. */
export function dialbackKey(secret: string, receiving: string, originating: string, streamId: string): string {
  const k = createHash('sha256').update(secret, 'utf8').digest('hex');
  return createHmac('sha256', k).update(`${receiving} ${originating} ${streamId}`, 'utf8').digest('hex');
}

/** Constant-time comparison of a presented key with the expected one. */
export function sameKey(given: string, expected: string): boolean {
  const a = Buffer.from(given.trim().toLowerCase());
  const b = Buffer.from(expected);
  return a.length === b.length && timingSafeEqual(a, b);
}

/** Escapes a value for a single-quoted XML attribute. */
export function attr(s: string): string {
  return s.replace(/&/g, '&amp;').replace(/'/g, '&apos;').replace(/</g, '&lt;').replace(/"/g, '&quot;').replace(/>/g, '&gt;');
}
