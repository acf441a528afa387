// offline.qry.stats: totals for the janitor's anonymous daily statistics (no JIDs).
import { Controller, Inject } from '@nestjs/common';
import { MessagePattern } from '@nestjs/microservices';
import { OfflineStatsResult, OfflineSubjects } from '@parley/contracts';
import { OFFLINE_STORE, OfflineStore } from '../store/offline-store';

@Controller()
export class StatsHandler {
  constructor(@Inject(OFFLINE_STORE) private readonly store: OfflineStore) {}

  @MessagePattern(OfflineSubjects.stats)
  handle(): Promise<OfflineStatsResult> {
    return this.store.totals();
  }
}
