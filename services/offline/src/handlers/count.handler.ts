// offline.qry.count: how many messages wait (XEP-0013 §2.2 number_of_messages).
import { Inject, Injectable } from '@nestjs/common';
import { OfflineCountResult, OfflineSubjects, OfflineUserQuery } from '@parley/contracts';
import { OFFLINE_STORE, OfflineStore } from '../store/offline-store';
import { RequestHandler, requireUser } from './tokens';

@Injectable()
export class CountHandler implements RequestHandler<OfflineUserQuery, OfflineCountResult> {
  readonly subject = OfflineSubjects.count;
  constructor(@Inject(OFFLINE_STORE) private readonly store: OfflineStore) {}

  async handle(q: OfflineUserQuery): Promise<OfflineCountResult> {
    return { count: await this.store.count(requireUser(q)) };
  }
}
