// Namespaces this service's pure rules mention (the gateway owns XML handling).
export const NS = {
  delay: 'urn:xmpp:delay',
  hints: 'urn:xmpp:hints',
} as const;
