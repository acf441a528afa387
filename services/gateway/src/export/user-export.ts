// Data export (GDPR Art. 15 and 20): everything Parley stores about one user, collected
// from every owner over the bus with the queries the gateway already uses (roster and
// block list, offline messages, archive and its preferences, uploaded files' metadata and
// download URLs), rendered as XEP-0227
// (Portable Import/Export Format, `urn:xmpp:pie:0`) and as JSON. The profile (vCard,
// private XML, PEP nodes) comes from the profile service. Only the user's own
// data: each owner is asked for this user's records, never for anyone else's.
// Credentials are left out: the SCRAM keys would let whoever holds the file test
// passwords offline, and a user moving servers sets a new password there anyway.
import {
  AccountActivityQuery,
  AccountActivityResult,
  JanitorSubjects,
  ArchiveLookupQuery,
  ArchiveLookupResult,
  ArchivePrefsQuery,
  ArchivePrefsV1,
  ArchiveSubjects,
  OfflineFetchQuery,
  OfflineFetchResult,
  OfflineSubjects,
  PendingSubscriptionRequest,
  ProfileExportQuery,
  ProfileExportResult,
  ProfileSubjects,
  RosterItem,
  RosterLoginQuery,
  RosterLoginResult,
  RosterSubjects,
  UploadFilesQuery,
  UploadFilesResult,
  UploadFileV1,
  UploadSubjects,
} from '@parley/contracts';
import { Element, parseXml, x } from '@parley/xml';

/** What the exporter needs from the bus: request/reply (`Bus.request`). */
export interface ExportRequester {
  request<T>(subject: string, data: unknown, opts?: { timeoutMs?: number }): Promise<T>;
}

/** One user's data as exported. */
export interface UserExport {
  format: 'parley-export/1';
  jid: string;
  exportedAt: string;
  /** What the janitor keeps about the account: created, last used, last logout, flags. */
  account: AccountActivityResult;
  roster: { items: RosterItem[]; pendingIn: PendingSubscriptionRequest[] };
  blocked: string[];
  offline: Array<{ id: string; from: string; arrivedAt: string; stanza: string }>;
  archive: { prefs: ArchivePrefsV1; messages: Array<{ id: string; timestamp: string; with: string; direction: 'in' | 'out'; stanza: string }> };
  /** Files the user uploaded (XEP-0363) and can still be downloaded: metadata and URL, the bytes stay behind the URL. */
  uploads: UploadFileV1[];
  /** vCard, private XML and PEP nodes (profile service). */
  profile: ProfileExportResult;
}

/** Collection progress, for long exports. */
export type ExportProgress = (what: 'roster' | 'offline' | 'archive' | 'uploads' | 'profile', count: number) => void;

const PAGE = 250;
/** Bound on pages per store: a runaway cursor never loops forever. */
const MAX_PAGES = 100_000;

/** Collects the user's data from every owner (the account must exist; the caller checks). */
export async function collectUserExport(bus: ExportRequester, jid: string, progress: ExportProgress = () => undefined, now = new Date()): Promise<UserExport> {
  const account = await bus.request<AccountActivityResult>(JanitorSubjects.accountActivity, { jid } satisfies AccountActivityQuery);
  const login = await bus.request<RosterLoginResult>(RosterSubjects.login, { user: jid } satisfies RosterLoginQuery);
  progress('roster', login.items.length);

  const offline: UserExport['offline'] = [];
  let after: string | undefined;
  for (let page = 0; page < MAX_PAGES; page++) {
    const r = await bus.request<OfflineFetchResult>(OfflineSubjects.fetch, { user: jid, after, limit: PAGE, stampDelay: true } satisfies OfflineFetchQuery);
    for (const m of r.messages) offline.push({ id: m.id, from: m.from, arrivedAt: m.arrivedAt, stanza: m.stanza });
    progress('offline', offline.length);
    if (!r.next || r.messages.length === 0) break;
    after = r.next;
  }

  const prefs = await bus.request<ArchivePrefsV1>(ArchiveSubjects.getPrefs, { jid } satisfies ArchivePrefsQuery);
  const messages: UserExport['archive']['messages'] = [];
  let last: string | undefined;
  for (let page = 0; page < MAX_PAGES; page++) {
    const r = await bus.request<ArchiveLookupResult>(ArchiveSubjects.lookup, { owner: jid, rsm: { max: PAGE, after: last }, count: false } satisfies ArchiveLookupQuery);
    for (const i of r.items) messages.push({ id: i.id, timestamp: i.timestamp, with: i.with, direction: i.direction, stanza: i.stanza });
    progress('archive', messages.length);
    if (r.complete || !r.last) break;
    last = r.last;
  }

  const uploads: UploadFileV1[] = [];
  let next: string | undefined;
  for (let page = 0; page < MAX_PAGES; page++) {
    const r = await bus.request<UploadFilesResult>(UploadSubjects.files, { user: jid, after: next, limit: PAGE } satisfies UploadFilesQuery);
    uploads.push(...r.files);
    progress('uploads', uploads.length);
    if (!r.next || r.files.length === 0) break;
    next = r.next;
  }

  const profile = await bus.request<ProfileExportResult>(ProfileSubjects.export, { owner: jid } satisfies ProfileExportQuery);
  progress('profile', profile.nodes.length + profile.private.length + (profile.vcard ? 1 : 0));

  return {
    format: 'parley-export/1',
    jid,
    exportedAt: now.toISOString(),
    account,
    roster: { items: login.items, pendingIn: login.pendingIn },
    blocked: login.blocked,
    offline,
    archive: { prefs, messages },
    uploads,
    profile,
  };
}

export const NS_PIE = 'urn:xmpp:pie:0';
const NS_PIE_MAM = 'urn:xmpp:pie:0#mam';
const NS_CLIENT = 'jabber:client';

/** A stored stanza as a `jabber:client` element (it is stored without a namespace declaration). */
function clientStanza(xml: string): Element {
  const el = parseXml(xml);
  if (!el.attrs.xmlns) el.attrs.xmlns = NS_CLIENT;
  return el;
}

/** A stored element, or nothing when it no longer parses (never a broken document). */
function stored(xml: string | undefined): Element | undefined {
  if (xml === undefined) return undefined;
  try {
    return parseXml(xml);
  } catch {
    return undefined;
  }
}

/** XEP-0227 §4.5, §4.6 and PEP: the vCard, private XML, node configurations and items. */
function profileElements(p: ProfileExportResult | undefined): Element[] {
  if (!p) return [];
  const out: Element[] = [];
  const vcard = stored(p.vcard);
  if (vcard) out.push(vcard);
  if (p.private.length) out.push(x('query', { xmlns: 'jabber:iq:private' }, p.private.map((i) => stored(i.xml)).filter((el): el is Element => el !== undefined)));
  if (p.nodes.length) {
    const field = (v: string, ...values: string[]) => x('field', { var: v }, values.map((val) => x('value', {}, val)));
    out.push(
      x(
        'pubsub',
        { xmlns: 'http://jabber.org/protocol/pubsub#owner' },
        p.nodes.map((n) =>
          x('configure', { node: n.node }, [
            x('x', { xmlns: 'jabber:x:data', type: 'submit' }, [
              field('FORM_TYPE', 'http://jabber.org/protocol/pubsub#node_config'),
              field('pubsub#access_model', n.config.accessModel),
              field('pubsub#max_items', String(n.config.maxItems)),
              field('pubsub#persist_items', n.config.persistItems ? '1' : '0'),
              field('pubsub#send_last_published_item', n.config.sendLast),
              field('pubsub#roster_groups_allowed', ...n.config.rosterGroups),
            ]),
          ]),
        ),
      ),
      x('pubsub', { xmlns: 'http://jabber.org/protocol/pubsub' }, p.nodes.map((n) => x('items', { node: n.node }, n.items.map((i) => x('item', { id: i.id }, [stored(i.payload)].filter((el): el is Element => el !== undefined)))))),
    );
  }
  return out;
}

/** The export as a XEP-0227 document (`<server-data xmlns='urn:xmpp:pie:0'>`). */
export function toXep0227(e: UserExport): string {
  const at = e.jid.indexOf('@');
  const local = e.jid.slice(0, at);
  const domain = e.jid.slice(at + 1);
  const roster = x(
    'query',
    { xmlns: 'jabber:iq:roster' },
    e.roster.items.map((i) =>
      x('item', { jid: i.jid, name: i.name, subscription: i.subscription, ask: i.ask, approved: i.approved ? 'true' : undefined }, i.groups.map((g) => x('group', {}, g))),
    ),
  );
  const a = e.account;
  const user = x('user', { name: local }, [
    // The account's activity as the janitor keeps it (no history, no address).
    x('account', { xmlns: 'urn:parley:export:0', created: a.createdAt, 'last-used': a.lastUsedAt, 'last-logout': a.lastLogoutAt, exempt: a.exempt === undefined ? undefined : String(a.exempt), hidden: a.hidden === undefined ? undefined : String(a.hidden), 'notice-sent': a.noticeSentAt }),
    roster,
    // Requests the user has not answered yet, as they arrived (RFC 6121 §3.1.3).
    ...(e.roster.pendingIn.length
      ? [x('roster-requests', { xmlns: 'urn:parley:export:0' }, e.roster.pendingIn.map((p) => (p.stanza ? clientStanza(p.stanza) : x('presence', { xmlns: NS_CLIENT, type: 'subscribe', from: p.jid, to: e.jid }, p.status ? [x('status', {}, p.status)] : []))))]
      : []),
    x('blocklist', { xmlns: 'urn:xmpp:blocking' }, e.blocked.map((j) => x('item', { jid: j }))),
    ...profileElements(e.profile),
    x('offline-messages', {}, e.offline.map((m) => clientStanza(m.stanza))),
    x('archive', { xmlns: NS_PIE_MAM }, [
      x('prefs', { xmlns: 'urn:xmpp:mam:2', default: e.archive.prefs.default }, [
        x('always', {}, e.archive.prefs.always.map((j) => x('jid', {}, j))),
        x('never', {}, e.archive.prefs.never.map((j) => x('jid', {}, j))),
      ]),
      ...e.archive.messages.map((m) =>
        x('result', { xmlns: 'urn:xmpp:mam:2', id: m.id }, [
          x('forwarded', { xmlns: 'urn:xmpp:forward:0' }, [x('delay', { xmlns: 'urn:xmpp:delay', stamp: m.timestamp }), clientStanza(m.stanza)]),
        ]),
      ),
    ]),
    // XEP-0227 has no place for uploads: listed in Parley's own namespace, the bytes behind each URL.
    x('uploads', { xmlns: 'urn:parley:export:0' }, e.uploads.map((f) => x('file', { name: f.name, size: String(f.size), 'content-type': f.contentType, purpose: f.purpose, uploaded: f.uploadedAt, expires: f.expiresAt, url: f.url }))),
  ]);
  return `<?xml version='1.0' encoding='UTF-8'?>\n${x('server-data', { xmlns: NS_PIE }, [x('host', { jid: domain }, [user])]).toString()}\n`;
}

/** The export as JSON (the same data, stanzas as XML strings). */
export function toJson(e: UserExport): string {
  return `${JSON.stringify(e, null, 2)}\n`;
}
