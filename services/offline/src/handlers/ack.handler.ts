// offline.cmd.ack: the gateway handed these messages to a client session; delete them.
// Idempotent: unknown (already deleted) ids are ignored.
import { Inject, Injectable } from '@nestjs/common';
import { OfflineDeletedResult, OfflineIdsCommand, OfflineSubjects } from '@parley/contracts';
import { OFFLINE_STORE, OfflineStore } from '../store/offline-store';
import { RequestHandler, requireIds, requireUser } from './tokens';

@Injectable()
export class AckHandler implements RequestHandler<OfflineIdsCommand, OfflineDeletedResult> {
  readonly subject = OfflineSubjects.ack;
  constructor(@Inject(OFFLINE_STORE) private readonly store: OfflineStore) {}

  async handle(q: OfflineIdsCommand): Promise<OfflineDeletedResult> {
    const user = requireUser(q);
    return { deleted: await this.store.deleteIds(user, requireIds(q)) };
  }
}
