// offline.cmd.remove: XEP-0013 §2.5 removing specific messages; item-not-found (and
// nothing removed) when one of the nodes does not exist.
import { Controller, Inject } from '@nestjs/common';
import { MessagePattern, Payload } from '@nestjs/microservices';
import { OfflineDeletedResult, OfflineIdsCommand, OfflineSubjects } from '@parley/contracts';
import { ReplyException } from '@parley/nats';
import { OFFLINE_STORE, OfflineStore } from '../store/offline-store';
import { requireIds, USER } from './params';

@Controller()
export class RemoveHandler {
  constructor(@Inject(OFFLINE_STORE) private readonly store: OfflineStore) {}

  @MessagePattern(OfflineSubjects.remove)
  async handle(@Payload(USER) q: OfflineIdsCommand): Promise<OfflineDeletedResult> {
    const user = q.user;
    const deleted = await this.store.deleteExactly(user, requireIds(q));
    if (deleted === undefined) throw ReplyException.of('item-not-found', 'no such offline message');
    return { deleted };
  }
}
