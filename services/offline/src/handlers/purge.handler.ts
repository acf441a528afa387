// offline.cmd.purge: XEP-0013 §2.7 removing all messages.
import { Inject, Injectable } from '@nestjs/common';
import { OfflineDeletedResult, OfflineSubjects, OfflineUserQuery } from '@parley/contracts';
import { OFFLINE_STORE, OfflineStore } from '../store/offline-store';
import { RequestHandler, requireUser } from './tokens';

@Injectable()
export class PurgeHandler implements RequestHandler<OfflineUserQuery, OfflineDeletedResult> {
  readonly subject = OfflineSubjects.purge;
  constructor(@Inject(OFFLINE_STORE) private readonly store: OfflineStore) {}

  async handle(q: OfflineUserQuery): Promise<OfflineDeletedResult> {
    return { deleted: await this.store.purge(requireUser(q)) };
  }
}
