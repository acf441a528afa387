// XEP-0313 queries: turning a lookup request into a validated plan the store runs.
// Filters (with/start/end/before-id/after-id/ids) select the result set; RSM (XEP-0059)
// picks one page of it: `after` pages forward, `before` backward, an empty `before`
// is the last page, `index` skips from the start.
import type { ArchiveLookupQuery } from '@parley/contracts';
import { canonicalJid, splitJid } from '@parley/xep';
import { ArchiveDomainError } from './errors';
import { isBareJidLike, isJidLike } from './prefs';

/** A validated query. */
export interface LookupPlan {
  owner: string;
  /** Match the peer's bare JID. */
  withBare?: string;
  /** Also match the peer's exact address (a full-JID `with`). */
  withFull?: string;
  start?: Date;
  end?: Date;
  beforeId?: string;
  afterId?: string;
  ids?: string[];
  /** `forward` from the start (or after `cursor`), `backward` from the end (or before `cursor`). */
  direction: 'forward' | 'backward';
  /** RSM after (forward) / before (backward) id. */
  cursor?: string;
  /** RSM index: items to skip from the start (forward only). */
  offset: number;
  /** Page size (0: none, count only). */
  max: number;
  count: boolean;
  flip: boolean;
}

/** Server limits of a query. */
export interface PageLimits {
  pageDefault: number;
  pageMax: number;
  /** Most ids in one `ids` filter. */
  idsMax?: number;
}

// XEP-0082 DateTime: CCYY-MM-DDThh:mm:ss[.sss]TZD
const DATETIME = /^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}(?:\.\d+)?(?:Z|[+-]\d{2}:\d{2})$/;

function dateTime(name: string, v: unknown): Date | undefined {
  if (v === undefined || v === null) return undefined;
  if (typeof v !== 'string' || !DATETIME.test(v) || Number.isNaN(Date.parse(v)))
    throw ArchiveDomainError.badRequest(`${name} is not a XEP-0082 DateTime`);
  return new Date(v);
}

function archiveId(name: string, v: unknown): string | undefined {
  if (v === undefined || v === null) return undefined;
  if (typeof v !== 'string' || v.length === 0 || v.length > 128) throw ArchiveDomainError.badRequest(`${name} is not an archive id`);
  return v;
}

function natural(name: string, v: unknown): number | undefined {
  if (v === undefined || v === null) return undefined;
  if (typeof v !== 'number' || !Number.isInteger(v) || v < 0) throw ArchiveDomainError.badRequest(`${name} must be a non-negative integer`);
  return v;
}

/** Validates `q` into a plan; throws `bad-request` on anything malformed. */
export function planLookup(q: ArchiveLookupQuery, limits: PageLimits): LookupPlan {
  if (!q || typeof q !== 'object') throw ArchiveDomainError.badRequest('empty query');
  if (!isBareJidLike(q.owner)) throw ArchiveDomainError.badRequest('owner is not a bare JID');
  const plan: LookupPlan = {
    owner: canonicalJid(q.owner),
    direction: 'forward',
    offset: 0,
    max: limits.pageDefault,
    count: q.count ?? true,
    flip: q.flipPage === true,
  };
  if (q.with !== undefined && q.with !== null) {
    if (!isJidLike(q.with)) throw ArchiveDomainError.badRequest('with is not a JID');
    const w = canonicalJid(q.with);
    const { bare, resource } = splitJid(w);
    plan.withBare = bare;
    if (resource !== undefined) plan.withFull = w;
  }
  plan.start = dateTime('start', q.start);
  plan.end = dateTime('end', q.end);
  plan.beforeId = archiveId('before-id', q.beforeId);
  plan.afterId = archiveId('after-id', q.afterId);
  if (q.ids !== undefined && q.ids !== null) {
    if (!Array.isArray(q.ids)) throw ArchiveDomainError.badRequest('ids must be a list');
    const idsMax = limits.idsMax ?? 1000;
    if (q.ids.length > idsMax) throw ArchiveDomainError.badRequest(`at most ${idsMax} ids`);
    plan.ids = [...new Set(q.ids.map((id, i) => archiveId(`ids[${i}]`, id) as string))];
  }
  const rsm = q.rsm ?? {};
  const max = natural('max', rsm.max);
  if (max !== undefined) plan.max = Math.min(max, limits.pageMax);
  const after = rsm.after === undefined || rsm.after === null ? undefined : archiveId('after', rsm.after);
  const before = rsm.before === undefined || rsm.before === null ? undefined : rsm.before;
  const index = natural('index', rsm.index);
  if (after !== undefined && before !== undefined) throw ArchiveDomainError.badRequest('RSM before and after together are undefined; use before-id/after-id');
  if (before !== undefined) {
    if (index !== undefined) throw ArchiveDomainError.badRequest('RSM index cannot page backward');
    plan.direction = 'backward';
    if (before !== '') plan.cursor = archiveId('before', before);
  } else {
    plan.cursor = after;
    plan.offset = index ?? 0;
  }
  return plan;
}

/** Every id the plan names, each of which must exist in the owner's archive. */
export function referencedIds(plan: LookupPlan): string[] {
  const ids = [plan.cursor, plan.beforeId, plan.afterId, ...(plan.ids ?? [])].filter((x): x is string => x !== undefined);
  return [...new Set(ids)];
}
