// Where every resource of every user is, across all gateway instances: local
// sessions directly, remote ones as replicated by the cluster. Routing reads only
// this map, so no stanza costs a database or bus round trip to find its target.
import type { Session } from './session';

/** One resource of a user, wherever it is connected. */
export interface ResourceState {
  resource: string;
  /** Gateway instance holding the session. */
  instanceId: string;
  priority: number;
  /** Sent initial presence and not yet unavailable. */
  available: boolean;
  carbons: boolean;
  /** Present when the session lives in this process. */
  session?: Session;
}

export class Directory {
  private readonly users = new Map<string, Map<string, ResourceState>>();
  private localCount = 0;
  /** Resources held per instance and a digest of their full JIDs (anti-entropy compares them with each peer's own). */
  private readonly perInstance = new Map<string, { n: number; d: number }>();

  private count(instanceId: string, full: string, delta: 1 | -1): void {
    const cur = this.perInstance.get(instanceId) ?? { n: 0, d: 0 };
    cur.n += delta;
    cur.d = (cur.d ^ fnv1a(full)) | 0;
    if (cur.n > 0) this.perInstance.set(instanceId, cur);
    else this.perInstance.delete(instanceId);
  }

  /** How many resources this directory holds for one instance, and their digest (see {@link fnv1a}). */
  summaryOf(instanceId: string): { n: number; d: number } {
    const s = this.perInstance.get(instanceId);
    return s ? { n: s.n, d: s.d } : { n: 0, d: 0 };
  }

  /** All resources of a bare JID. */
  resources(bare: string): ResourceState[] {
    const m = this.users.get(bare);
    return m ? [...m.values()] : [];
  }

  /** One resource, or undefined. */
  resource(bare: string, resource: string): ResourceState | undefined {
    return this.users.get(bare)?.get(resource);
  }

  /** Adds or replaces a resource. */
  put(bare: string, state: ResourceState): void {
    let m = this.users.get(bare);
    if (!m) this.users.set(bare, (m = new Map()));
    const prev = m.get(state.resource);
    if (prev?.session) this.localCount -= 1;
    if (prev) this.count(prev.instanceId, `${bare}/${prev.resource}`, -1);
    if (state.session) this.localCount += 1;
    this.count(state.instanceId, `${bare}/${state.resource}`, 1);
    m.set(state.resource, state);
  }

  /** Removes a resource if it is still the one held by `instanceId` (and `session`, when given). */
  remove(bare: string, resource: string, instanceId: string, session?: Session): boolean {
    const m = this.users.get(bare);
    const cur = m?.get(resource);
    if (!m || !cur || cur.instanceId !== instanceId || (session && cur.session !== session)) return false;
    if (cur.session) this.localCount -= 1;
    this.count(cur.instanceId, `${bare}/${resource}`, -1);
    m.delete(resource);
    if (m.size === 0) this.users.delete(bare);
    return true;
  }

  /**
   * Forgets every resource of a gone instance (or those `which` selects); returns them
   * (for unavailable presence on their behalf).
   */
  dropInstance(instanceId: string, which?: (bare: string, resource: string) => boolean): Array<{ bare: string; state: ResourceState }> {
    const dropped: Array<{ bare: string; state: ResourceState }> = [];
    if (!this.perInstance.has(instanceId)) return dropped;
    for (const [bare, m] of this.users) {
      for (const [res, st] of m) {
        if (st.instanceId === instanceId && !st.session && (!which || which(bare, res))) {
          m.delete(res);
          this.count(instanceId, `${bare}/${res}`, -1);
          dropped.push({ bare, state: st });
        }
      }
      if (m.size === 0) this.users.delete(bare);
    }
    return dropped;
  }

  /** Every session of this process. */
  *localSessions(): Iterable<Session> {
    for (const m of this.users.values()) for (const st of m.values()) if (st.session) yield st.session;
  }

  /** Number of users with at least one resource anywhere in the cluster. */
  get userCount(): number {
    return this.users.size;
  }

  /** Number of resources (sessions) anywhere in the cluster. */
  get resourceCount(): number {
    let n = 0;
    for (const m of this.users.values()) n += m.size;
    return n;
  }

  /** Number of local sessions. */
  get localSize(): number {
    return this.localCount;
  }
}

/** 32-bit FNV-1a of a string's UTF-16 units: an order-free digest of a set is the XOR of its members'. */
export function fnv1a(s: string): number {
  let h = 0x811c9dc5;
  for (let i = 0; i < s.length; i++) {
    h ^= s.charCodeAt(i);
    h = Math.imul(h, 0x01000193);
  }
  return h | 0;
}
