// offline.cmd.ack: the gateway handed these messages to a client session; delete them.
// Idempotent: unknown (already deleted) ids are ignored.
import { Controller, Inject } from '@nestjs/common';
import { MessagePattern, Payload } from '@nestjs/microservices';
import { OfflineDeletedResult, OfflineIdsCommand, OfflineSubjects } from '@parley/contracts';
import { OFFLINE_STORE, OfflineStore } from '../store/offline-store';
import { requireIds, USER } from './params';

@Controller()
export class AckHandler {
  constructor(@Inject(OFFLINE_STORE) private readonly store: OfflineStore) {}

  @MessagePattern(OfflineSubjects.ack)
  async handle(@Payload(USER) q: OfflineIdsCommand): Promise<OfflineDeletedResult> {
    const user = q.user;
    return { deleted: await this.store.deleteIds(user, requireIds(q)) };
  }
}
