// offline.qry.fetch: pending messages in arrival order, a page at a time. Never deletes.
import { Controller, Inject } from '@nestjs/common';
import { MessagePattern, Payload } from '@nestjs/microservices';
import { OfflineFetchQuery, OfflineFetchResult, OfflineMessageV1, OfflineSubjects, OfflineMessageType } from '@parley/contracts';
import { ReplyException } from '@parley/nats';
import type { OfflineConfig } from '../config/config';
import { stampDelay } from '../domain/delay';
import { domainOf } from '@parley/jid';
import { encodeCursor } from '../store/cursor';
import { OFFLINE_STORE, OfflineStore, StoredMessage } from '../store/offline-store';
import { optionalCursor } from './cursor-param';
import { OFFLINE_CONFIG, optionalLimit, requireIds, USER } from './params';

/** Most ids in one XEP-0013 view request. */
const MAX_VIEW_IDS = 100;

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
