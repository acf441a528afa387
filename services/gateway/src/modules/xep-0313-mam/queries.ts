// XEP-0313 IQs on the account (the archive lives at the user's bare JID): the query
// form, queries with their result messages and `<fin/>`, XEP-0441 preferences and
// #extended metadata. Each is one request to the archive service; a service that
// is down answers at once with a temporary error, never a hang.
import {
  ArchiveLookupQuery,
  ArchiveLookupResult,
  ArchiveMetadataQuery,
  ArchiveMetadataResult,
  ArchivePrefsQuery,
  ArchivePrefsV1,
  ArchiveSetPrefsCommand,
  ArchiveSubjects,
} from '@parley/contracts';
import { JidError, parseJid } from '@parley/jid';
import { serviceError, type ModuleBus } from '../../host';
import { StanzaError } from '@parley/stanza';
import type { Element } from '@parley/xml';
import { MamPrefs, MamQuery, mamFin, mamMetadata, mamPrefs, mamQuery, mamQueryForm, mamResultMessage, NS_MAM } from '@parley/xep';
import type { Logger } from 'pino';
import type { Session } from '../../host';

/** Asks the archive; its refusals become the stanza errors they name, its absence a temporary one. */
export async function askArchive<T>(bus: ModuleBus, subject: string, data: unknown, timeoutMs?: number): Promise<T> {
  try {
    return await bus.request<T>(subject, data, { timeoutMs });
  } catch (e) {
    throw serviceError(e, 'message archive');
  }
}

/** The XEP-0313 payload of an IQ, or bad-request. */
export function mamPayload(iq: Element): Element {
  const p = iq.children.find((c): c is Element => typeof c !== 'string');
  if (!p || p.attrs.xmlns !== NS_MAM) throw StanzaError.badRequest('expected a urn:xmpp:mam:2 payload');
  return p;
}

/** Only the owner reaches an archive (XEP-0313 §8.1). */
export function ownArchive(session: Session, target: { bare: string }): string {
  if (target.bare !== session.bare) throw StanzaError.forbidden('only the owner may use this archive');
  return session.bare;
}

/** Prepares a JID from a preference list or a `with` filter (RFC 7622), else bad-request. */
function prepared(jid: string, what: string): string {
  try {
    return parseJid(jid).toString();
  } catch (e) {
    if (e instanceof JidError) throw StanzaError.badRequest(`${what} '${jid}' is not a valid JID`);
    throw e;
  }
}

/**
 * Whether a query should count the whole result set (RSM `<count/>`, `<first index>`):
 * costs two extra index scans in the archive, so only for the first page of a paging
 * sequence (no `<after/>`, `<before/>` empty or absent), a count-only request
 * (`<max>0</max>`), or when the client pages by `<index/>`.
 */
export function wantsCount(q: MamQuery): boolean {
  const r = q.rsm;
  if (!r) return true;
  if (r.max === 0 || r.index !== undefined) return true;
  return r.after === undefined && !r.before;
}

/** Turns a decoded query into the archive's request. */
export function lookupRequest(owner: string, q: MamQuery): ArchiveLookupQuery {
  const req: ArchiveLookupQuery = { owner, count: wantsCount(q) };
  if (q.with !== undefined) req.with = prepared(q.with, 'with');
  if (q.start !== undefined) req.start = q.start;
  if (q.end !== undefined) req.end = q.end;
  if (q.beforeId !== undefined) req.beforeId = q.beforeId;
  if (q.afterId !== undefined) req.afterId = q.afterId;
  if (q.ids !== undefined) req.ids = q.ids;
  if (q.rsm) req.rsm = { ...q.rsm };
  if (q.flipPage) req.flipPage = true;
  return req;
}

/** The handlers, bound to a bus. */
export class MamQueries {
  constructor(
    private readonly bus: ModuleBus,
    private readonly log: Logger,
    /** Called with the preferences the archive applied for `jid` (the projection takes them at once). */
    private readonly prefsApplied: (jid: string, prefs: ArchivePrefsV1) => void,
  ) {}

  /** IQ-get: the query form, the preferences, or the metadata. */
  async get(iq: Element, session: Session, target: { bare: string }): Promise<Element> {
    const owner = ownArchive(session, target);
    const p = mamPayload(iq);
    switch (p.name) {
      case 'query':
        return mamQueryForm();
      case 'prefs':
        return mamPrefs.toElement(await askArchive<ArchivePrefsV1>(this.bus, ArchiveSubjects.getPrefs, { jid: owner } satisfies ArchivePrefsQuery));
      case 'metadata':
        return mamMetadata.toElement(await askArchive<ArchiveMetadataResult>(this.bus, ArchiveSubjects.metadata, { owner } satisfies ArchiveMetadataQuery));
      default:
        throw StanzaError.featureNotImplemented(`<${p.name}/> is not a urn:xmpp:mam:2 request`);
    }
  }

  /** IQ-set: a query or new preferences. */
  async set(iq: Element, session: Session, target: { bare: string }): Promise<Element> {
    const owner = ownArchive(session, target);
    const p = mamPayload(iq);
    if (p.name === 'query') return this.query(p, session, owner);
    if (p.name === 'prefs') return this.setPrefs(p, owner);
    throw StanzaError.featureNotImplemented(`<${p.name}/> is not a urn:xmpp:mam:2 command`);
  }

  private async setPrefs(p: Element, owner: string): Promise<Element> {
    const wanted: MamPrefs = mamPrefs.fromElement(p);
    const cmd: ArchiveSetPrefsCommand = {
      jid: owner,
      default: wanted.default,
      always: wanted.always.map((j) => prepared(j, 'preference JID')),
      never: wanted.never.map((j) => prepared(j, 'preference JID')),
    };
    const applied = await askArchive<ArchivePrefsV1>(this.bus, ArchiveSubjects.setPrefs, cmd);
    this.prefsApplied(owner, applied);
    return mamPrefs.toElement(applied);
  }

  /** XEP-0313 §4: one `<result/>` message per item to the querying resource, then `<fin/>`. */
  private async query(p: Element, session: Session, owner: string): Promise<Element> {
    const q = mamQuery.fromElement(p);
    if (q.node !== undefined) throw StanzaError.itemNotFound('a user archive has no nodes');
    const res = await askArchive<ArchiveLookupResult>(this.bus, ArchiveSubjects.lookup, lookupRequest(owner, q));
    for (const item of res.items) {
      let msg: Element;
      try {
        msg = mamResultMessage({ to: session.full, from: owner, result: { queryId: q.queryId, id: item.id, timestamp: item.timestamp, stanza: item.stanza } });
      } catch (e) {
        this.log.error({ err: e, id: item.id }, 'archived stanza unreadable; left out of the results');
        continue;
      }
      session.send(msg);
    }
    return mamFin.toElement({ complete: res.complete, rsm: { first: res.first, firstIndex: res.firstIndex, last: res.last, count: res.count } });
  }
}
