// offline.qry.headers: XEP-0013 §2.3 message headers (node = message id, name = sender).
import { Controller, Inject } from '@nestjs/common';
import { MessagePattern, Payload } from '@nestjs/microservices';
import { OfflineHeadersQuery, OfflineHeadersResult, OfflineSubjects } from '@parley/contracts';
import { encodeCursor } from '../store/cursor';
import { OFFLINE_STORE, OfflineStore } from '../store/offline-store';
import { optionalCursor } from './cursor-param';
import { optionalLimit, USER } from './params';

@Controller()
export class HeadersHandler {
  constructor(@Inject(OFFLINE_STORE) private readonly store: OfflineStore) {}

  @MessagePattern(OfflineSubjects.headers)
  async handle(@Payload(USER) q: OfflineHeadersQuery): Promise<OfflineHeadersResult> {
    const page = await this.store.headers(q.user, { after: optionalCursor(q.after), limit: optionalLimit(q.limit, 1000, 5000) });
    return {
      items: page.items.map((h) => ({ id: h.id, from: h.from, arrivedAt: h.arrivedAt.toISOString() })),
      next: page.next ? encodeCursor(page.next) : undefined,
    };
  }
}
