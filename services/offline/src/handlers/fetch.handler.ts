// offline.qry.fetch: pending messages in arrival order, a page at a time. Never deletes.
import { Controller, Inject } from '@nestjs/common';
import { MessagePattern, Payload } from '@nestjs/microservices';
import {
  MAX_FIRST_PAGES_USERS,
  OfflineFetchQuery,
  OfflineFetchResult,
  OfflineFirstPagesQuery,
  OfflineFirstPagesResult,
  OfflineMessageV1,
  OfflinePagesQuery,
  OfflinePagesResult,
  MAX_PAGES_ENTRIES,
  OfflineSubjects,
  OfflineMessageType,
} from '@parley/contracts';
import { distinctUsers, PrepareJids, ReplyException } from '@parley/nats';
import type { OfflineConfig } from '../config/config';
import { stampDelay } from '../domain/delay';
import { domainOf } from '@parley/jid';
import { Cursor, encodeCursor } from '../store/cursor';
import { OFFLINE_STORE, OfflineStore, StoredMessage } from '../store/offline-store';
import { optionalCursor } from './cursor-param';
import { OFFLINE_CONFIG, optionalLimit, requireIds, USER } from './params';

/** Most ids in one XEP-0013 view request. */
const MAX_VIEW_IDS = 100;
/** Where a backlog starts: the `next` of a first page a reply had no room for. */
const START: Cursor = { arrivedAt: new Date(0), seq: '0' };

@Controller()
export class FetchHandler {
  constructor(
    @Inject(OFFLINE_STORE) private readonly store: OfflineStore,
    @Inject(OFFLINE_CONFIG) private readonly config: OfflineConfig,
  ) {}

  @MessagePattern(OfflineSubjects.fetch)
  async handle(@Payload(USER) q: OfflineFetchQuery): Promise<OfflineFetchResult> {
    const user = q.user;
    const ids = q.ids === undefined ? undefined : requireIds(q, MAX_VIEW_IDS);
    const after = optionalCursor(q.after);
    const limit = optionalLimit(q.limit, 100, 500);
    if (ids && !after && (await this.store.countExisting(user, ids)) !== new Set(ids).size)
      throw ReplyException.of('item-not-found', 'no such offline message');
    const page = await this.store.page(user, { ids, after, limit, maxBytes: this.config.OFFLINE_FETCH_MAX_BYTES });
    const from = domainOf(user);
    return {
      messages: page.items.map((m) => this.present(m, q.stampDelay === true, from)),
      next: page.next ? encodeCursor(page.next) : undefined,
    };
  }

  /** offline.qry.first-pages: the sessions that come online together get their first pages from one query, in one reply within the page bound. */
  @MessagePattern(OfflineSubjects.firstPages)
  async firstPages(@Payload(new PrepareJids({ users: 'account[]' })) q: OfflineFirstPagesQuery): Promise<OfflineFirstPagesResult> {
    const users = distinctUsers(q.users, MAX_FIRST_PAGES_USERS);
    const pages = await this.serve(
      users.map((user) => ({ user })),
      optionalLimit(q.limit, 100, 500),
      q.stampDelay === true,
    );
    const served = new Map(users.map((u, k) => [u, pages[k]]));
    return { pages: q.users.map((u) => served.get(u)!) };
  }

  /** offline.qry.pages: the next pages of several backlogs (sessions reading theirs together) from one query, in one reply within the page bound. */
  @MessagePattern(OfflineSubjects.pages)
  async pages(@Payload(new PrepareJids({ 'pages[].user': 'account' })) q: OfflinePagesQuery): Promise<OfflinePagesResult> {
    const asked: unknown = q.pages;
    if (!Array.isArray(asked) || asked.length === 0) throw ReplyException.of('bad-request', 'pages must hold at least one entry');
    if (asked.length > MAX_PAGES_ENTRIES) throw ReplyException.of('bad-request', `at most ${MAX_PAGES_ENTRIES} pages per query`);
    // the same page asked twice is read once
    const keyOf = (e: { user: string; after?: string }) => `${e.user}\n${e.after ?? ''}`;
    const distinct = new Map<string, { user: string; after?: Cursor }>();
    for (const e of asked as OfflinePagesQuery['pages']) {
      if (typeof e !== 'object' || e === null) throw ReplyException.of('bad-request', 'a page entry is not an object');
      const key = keyOf(e);
      if (!distinct.has(key)) distinct.set(key, { user: e.user, after: optionalCursor(e.after) });
    }
    const entries = [...distinct.values()];
    const pages = await this.serve(entries, optionalLimit(q.limit, 100, 500), q.stampDelay === true);
    const served = new Map([...distinct.keys()].map((key, k) => [key, pages[k]]));
    return { pages: q.pages.map((e) => served.get(keyOf(e))!) };
  }

  /**
   * One page per entry from one query, the reply kept within the page bound: each entry
   * gets a fair share of it, measured exactly as it is sent (the rows are chosen by an
   * upper bound, twice the share, which a typical stanza fills about half); an entry
   * left without room gets no messages and a `next` to ask again from (its own cursor,
   * or the start). The first message of a reply is always taken, so every round moves on.
   */
  private async serve(entries: Array<{ user: string; after?: Cursor }>, limit: number, stamp: boolean): Promise<OfflineFetchResult[]> {
    const budget = this.config.OFFLINE_FETCH_MAX_BYTES;
    const share = Math.floor(budget / entries.length);
    const pages = await this.store.pages(entries, { limit, maxBytes: 2 * share });
    let used = 0;
    return entries.map((entry, k) => {
      const page = pages[k];
      const from = domainOf(entry.user);
      const messages: OfflineMessageV1[] = [];
      let mine = 0;
      let last: StoredMessage | undefined;
      for (const m of page.items) {
        const out = this.present(m, stamp, from);
        const size = Buffer.byteLength(JSON.stringify(out)) + 1;
        // within the reply's bound and the entry's share (its first message may pass the share); the reply's first message always
        const fits = used + size <= budget && (messages.length === 0 || mine + size <= share);
        if (used > 0 && !fits) break;
        used += size;
        mine += size;
        messages.push(out);
        last = m;
      }
      const next =
        messages.length === page.items.length
          ? page.next && encodeCursor(page.next)
          : encodeCursor(last ? { arrivedAt: last.arrivedAt, seq: last.seq } : (entry.after ?? START));
      return { messages, next };
    });
  }

  private present(m: StoredMessage, stamp: boolean, domain: string): OfflineMessageV1 {
    const base: OfflineMessageV1 = {
      id: m.id,
      from: m.from,
      type: m.type as OfflineMessageType,
      stanzaId: m.stanzaId,
      arrivedAt: m.arrivedAt.toISOString(),
      stanza: m.stanza,
    };
    if (!stamp) return base;
    const stamped = stampDelay(m.stanza, { from: domain, stamp: m.arrivedAt });
    return stamped === undefined ? { ...base, delayStamped: false } : { ...base, stanza: stamped, delayStamped: true };
  }
}
