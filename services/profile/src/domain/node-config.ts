// PEP node configuration (XEP-0060 §16.4 fields PEP uses) and XEP-0223 publish-options:
// a new node is created with the options given; an existing node must match them
// (otherwise `conflict` + `<precondition-not-met/>`). Pure rules, no I/O.
import type { PepAccessModel, PepNodeConfig, PepRefusal, RosterLoginResult } from '@parley/contracts';

const ACCESS_MODELS: readonly PepAccessModel[] = ['open', 'presence', 'roster', 'whitelist'];
const SEND_LAST: readonly PepNodeConfig['sendLast'][] = ['never', 'on_sub', 'on_sub_and_presence'];

/** XEP-0163 §4.1: a node created by publishing gets presence access and keeps one item. */
export function defaultNodeConfig(): PepNodeConfig {
  return { accessModel: 'presence', maxItems: 1, persistItems: true, sendLast: 'on_sub_and_presence', rosterGroups: [] };
}

const refuse = (condition: string, text: string, pubsub?: string): { refusal: PepRefusal } => ({ refusal: { condition, text, pubsub } });

const bool = (v: string | undefined): boolean | undefined => (v === '1' || v === 'true' ? true : v === '0' || v === 'false' ? false : undefined);

/**
 * The configuration publish-options ask for, field by field (only the fields given).
 * Unknown fields are ignored (they configure nothing here); bad values are refused.
 */
export function requestedConfig(options: Record<string, string[]> | undefined, maxItemsLimit: number): { config: Partial<PepNodeConfig> } | { refusal: PepRefusal } {
  const out: Partial<PepNodeConfig> = {};
  if (!options) return { config: out };
  const one = (k: string): string | undefined => (Array.isArray(options[k]) ? options[k][0] : undefined);
  const am = one('pubsub#access_model');
  if (am !== undefined) {
    if (!ACCESS_MODELS.includes(am as PepAccessModel)) return refuse('not-acceptable', `access model '${am}' is not supported`, 'unsupported-access-model');
    out.accessModel = am as PepAccessModel;
  }
  const mi = one('pubsub#max_items');
  if (mi !== undefined) {
    if (mi === 'max') out.maxItems = maxItemsLimit;
    else {
      const n = Number(mi);
      if (!/^\d{1,9}$/.test(mi) || n < 1) return refuse('bad-request', 'pubsub#max_items must be a positive integer or max');
      if (n > maxItemsLimit) return refuse('not-acceptable', `a node keeps at most ${maxItemsLimit} items`);
      out.maxItems = n;
    }
  }
  const pi = one('pubsub#persist_items');
  if (pi !== undefined) {
    const b = bool(pi);
    if (b === undefined) return refuse('bad-request', 'pubsub#persist_items must be a boolean');
    out.persistItems = b;
  }
  const sl = one('pubsub#send_last_published_item');
  if (sl !== undefined) {
    if (!SEND_LAST.includes(sl as PepNodeConfig['sendLast'])) return refuse('not-acceptable', `send_last_published_item '${sl}' is not supported`);
    out.sendLast = sl as PepNodeConfig['sendLast'];
  }
  const groups = options['pubsub#roster_groups_allowed'];
  if (Array.isArray(groups)) out.rosterGroups = [...new Set(groups.filter((g) => typeof g === 'string'))].sort();
  return { config: out };
}

/** XEP-0060 §7.1.5: whether an existing node's configuration satisfies the requested fields. */
export function preconditionsMet(existing: PepNodeConfig, wanted: Partial<PepNodeConfig>): boolean {
  if (wanted.accessModel !== undefined && wanted.accessModel !== existing.accessModel) return false;
  if (wanted.maxItems !== undefined && wanted.maxItems !== existing.maxItems) return false;
  if (wanted.persistItems !== undefined && wanted.persistItems !== existing.persistItems) return false;
  if (wanted.sendLast !== undefined && wanted.sendLast !== existing.sendLast) return false;
  if (wanted.rosterGroups !== undefined && [...existing.rosterGroups].sort().join('\n') !== wanted.rosterGroups.join('\n')) return false;
  return true;
}

/** The refusal of a publish whose preconditions are not met. */
export const preconditionRefusal = (): PepRefusal => ({ condition: 'conflict', text: 'the node is configured otherwise', pubsub: 'precondition-not-met' });

/** What the owner's roster says about others, as access decisions need it. */
export interface OwnerRoster {
  /** Bare JIDs with a subscription to the owner's presence (from/both), not blocked. */
  subscribers: ReadonlySet<string>;
  /** Bare JIDs in the roster with their groups, not blocked. */
  groups: ReadonlyMap<string, readonly string[]>;
  /** Bare JIDs whose presence the owner receives (to/both), not blocked: whose nodes the owner follows. */
  follows: readonly string[];
}

/** Reads a roster login answer into an {@link OwnerRoster}. */
export function ownerRoster(login: Pick<RosterLoginResult, 'items' | 'broadcast' | 'blocked'> & Partial<Pick<RosterLoginResult, 'probe'>>): OwnerRoster {
  const blocked = new Set(login.blocked);
  const groups = new Map<string, readonly string[]>();
  for (const i of login.items) if (!i.jid.includes('/') && !blocked.has(i.jid)) groups.set(i.jid, i.groups ?? []);
  return { subscribers: new Set(login.broadcast), groups, follows: login.probe ?? [] };
}

/**
 * XEP-0060 §6.5.9 / XEP-0163 §4.3: whether `requester` (not the owner) may read the
 * node, or the refusal it gets.
 */
export function accessRefusal(config: PepNodeConfig, requester: string, owner: string, roster: OwnerRoster | undefined): PepRefusal | undefined {
  if (requester === owner || config.accessModel === 'open') return undefined;
  if (config.accessModel === 'whitelist') return { condition: 'not-allowed', text: 'the node is closed', pubsub: 'closed-node' };
  if (config.accessModel === 'presence') {
    if (roster?.subscribers.has(requester)) return undefined;
    return { condition: 'not-authorized', type: 'auth', pubsub: 'presence-subscription-required' };
  }
  const g = roster?.groups.get(requester);
  if (g && (config.rosterGroups.length === 0 ? false : g.some((x) => config.rosterGroups.includes(x)))) return undefined;
  return { condition: 'not-authorized', type: 'auth', pubsub: 'not-in-roster-group' };
}

/** Who besides the owner gets notifications of a node (bare JIDs). */
export function notificationRecipients(config: PepNodeConfig, owner: string, roster: OwnerRoster | undefined): string[] {
  const out = new Set<string>([owner]);
  if (!roster || config.accessModel === 'whitelist') return [...out];
  for (const jid of roster.subscribers) if (!accessRefusal(config, jid, owner, roster)) out.add(jid);
  if (config.accessModel === 'roster') for (const jid of roster.groups.keys()) if (!accessRefusal(config, jid, owner, roster)) out.add(jid);
  return [...out];
}
