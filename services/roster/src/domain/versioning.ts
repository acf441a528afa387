// RFC 6121 §2.6: roster versioning. Each user's roster has a version number that
// grows by one per change; a bounded log keeps the recent changes so that a client
// a few versions behind gets only the pushes it missed. Pure.

/** One logged change: the version it produced and the pushed item. */
export interface LoggedChange<T> {
  ver: number;
  contact: string;
  item: T;
}

/** How to answer a roster get. */
export type VersionAnswer<T> =
  | { kind: 'full' }
  | { kind: 'unchanged' }
  | { kind: 'pushes'; pushes: Array<{ ver: number; item: T }> };

/** The client's 'ver' as a version number, or undefined when it is not one of ours. */
export function parseVer(ver: string | undefined): number | undefined {
  if (ver === undefined || !/^(0|[1-9]\d{0,15})$/.test(ver)) return undefined;
  return Number(ver);
}

/**
 * Decides the answer to a roster get carrying `clientVer`, given the current
 * version and the logged changes newer than `clientVer` (ascending).
 * - unknown, absent, empty or future version → the full roster;
 * - the current version → unchanged (empty result);
 * - an older version whose every later change is still logged → one push per
 *   contact that changed, its latest state, in version order;
 * - otherwise → the full roster.
 */
export function answerRosterGet<T>(current: number, clientVer: string | undefined, changesSince: Array<LoggedChange<T>>): VersionAnswer<T> {
  const v = parseVer(clientVer);
  if (v === undefined || v > current) return { kind: 'full' };
  if (v === current) return { kind: 'unchanged' };
  const relevant = changesSince.filter((c) => c.ver > v).sort((a, b) => a.ver - b.ver);
  if (relevant.length !== current - v || relevant[0].ver !== v + 1) return { kind: 'full' };
  const latest = new Map<string, LoggedChange<T>>();
  for (const c of relevant) {
    latest.delete(c.contact);
    latest.set(c.contact, c);
  }
  return { kind: 'pushes', pushes: [...latest.values()].map((c) => ({ ver: c.ver, item: c.item })) };
}
