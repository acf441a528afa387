// offline.qry.count: how many messages wait (XEP-0013 §2.2 number_of_messages).
import { Controller, Inject } from '@nestjs/common';
import { MessagePattern, Payload } from '@nestjs/microservices';
import { OfflineCountResult, OfflineSubjects, OfflineUserQuery } from '@parley/contracts';
import { OFFLINE_STORE, OfflineStore } from '../store/offline-store';
import { USER } from './params';

@Controller()
export class CountHandler {
  constructor(@Inject(OFFLINE_STORE) private readonly store: OfflineStore) {}

  @MessagePattern(OfflineSubjects.count)
  async handle(@Payload(USER) q: OfflineUserQuery): Promise<OfflineCountResult> {
    return { count: await this.store.count(q.user) };
  }
}
