// offline.cmd.purge: XEP-0013 §2.7 removing all messages.
import { Controller, Inject } from '@nestjs/common';
import { MessagePattern, Payload } from '@nestjs/microservices';
import { OfflineDeletedResult, OfflineSubjects, OfflineUserQuery } from '@parley/contracts';
import { OFFLINE_STORE, OfflineStore } from '../store/offline-store';
import { USER } from './params';

@Controller()
export class PurgeHandler {
  constructor(@Inject(OFFLINE_STORE) private readonly store: OfflineStore) {}

  @MessagePattern(OfflineSubjects.purge)
  async handle(@Payload(USER) q: OfflineUserQuery): Promise<OfflineDeletedResult> {
    return { deleted: await this.store.purge(q.user) };
  }
}
