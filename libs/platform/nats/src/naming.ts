// How logical subjects and stream names become wire names in a deployment namespace.
// Bus and the permission renderer share these, so the server's permissions always
// name exactly what the clients use.
import type { StreamSpec } from '@parley/contracts';

/** Checks a namespace: letters, digits, '-' and '_' (empty: none). */
export function assertNamespace(ns: string): void {
  if (ns && !/^[A-Za-z0-9_-]+$/.test(ns)) throw new Error(`invalid NATS namespace "${ns}"`);
}

/** The wire subject of a logical subject. */
export function wireSubject(namespace: string, subject: string): string {
  return namespace ? `${namespace}.${subject}` : subject;
}

/** The wire name of a stream. */
export function wireStreamName(namespace: string, spec: Pick<StreamSpec, 'name'>): string {
  return (namespace ? `${namespace.toUpperCase().replace(/[^A-Z0-9_]/g, '_')}_` : '') + spec.name;
}

/**
 * The inbox prefix of a NATS user: each role receives its replies (requests, JetStream
 * API answers, pulled messages) under its own prefix, so no role can read another's.
 */
export function inboxPrefixFor(user: string): string {
  return `_INBOX_${user.replace(/[^A-Za-z0-9_-]/g, '_')}`;
}
