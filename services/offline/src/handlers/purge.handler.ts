// offline.cmd.purge: XEP-0013 §2.7 removing all messages.
import { Controller, Inject } from '@nestjs/common';
import { MessagePattern, Payload } from '@nestjs/microservices';
import { OfflineDeletedResult, OfflineSubjects, OfflineUserQuery } from '@parley/contracts';
import { OFFLINE_STORE, OfflineStore } from '../store/offline-store';
import { requireUser } from './params';

@Controller()
export class PurgeHandler {
  constructor(@Inject(OFFLINE_STORE) private readonly store: OfflineStore) {}

  @MessagePattern(OfflineSubjects.purge)
  async handle(@Payload() q: OfflineUserQuery): Promise<OfflineDeletedResult> {
    return { deleted: await this.store.purge(requireUser(q)) };
  }
}
