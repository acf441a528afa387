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
  OfflineSubjects,
  OfflineMessageType,
} from '@parley/contracts';
import { distinctUsers, PrepareJids, ReplyException } from '@parley/nats';
import type { OfflineConfig } from '../config/config';
import { stampDelay } from '../domain/delay';
import { domainOf } from '@parley/jid';
import { encodeCursor } from '../store/cursor';
import { OFFLINE_STORE, OfflineStore, pageBytes, StoredMessage } from '../store/offline-store';
import { optionalCursor } from './cursor-param';
import { OFFLINE_CONFIG, optionalLimit, requireIds, USER } from './params';

/** Most ids in one XEP-0013 view request. */
const MAX_VIEW_IDS = 100;
/** Where a backlog starts: a `next` for a user a first-pages reply had no room for. */
const FROM_THE_START = encodeCursor({ arrivedAt: new Date(0), seq: '0' });

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
    const limit = optionalLimit(q.limit, 100, 500);
    const budget = this.config.OFFLINE_FETCH_MAX_BYTES;
    // each user's page gets a fair share of the reply (at least one message): read no more rows than are sent
    const pages = await this.store.firstPages(users, { limit, maxBytes: Math.floor(budget / users.length) });
    const served = new Map<string, OfflineFetchResult>();
    let used = 0;
    for (const user of users) {
      const page = pages.get(user)!;
      const taken: StoredMessage[] = [];
      for (const m of page.items) {
        if (used + pageBytes(m.stanza) > budget) break;
        used += pageBytes(m.stanza);
        taken.push(m);
      }
      const last = taken[taken.length - 1];
      const next = taken.length === page.items.length ? (page.next ? encodeCursor(page.next) : undefined) : last ? encodeCursor({ arrivedAt: last.arrivedAt, seq: last.seq }) : FROM_THE_START;
      const from = domainOf(user);
      served.set(user, { messages: taken.map((m) => this.present(m, q.stampDelay === true, from)), next });
    }
    return { pages: q.users.map((u) => served.get(u)!) };
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
