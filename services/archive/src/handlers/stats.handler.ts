// archive.qry.stats: totals for the janitor's anonymous daily statistics (no JIDs).
import { Controller, Inject } from '@nestjs/common';
import { MessagePattern } from '@nestjs/microservices';
import { ArchiveStatsResult, ArchiveSubjects } from '@parley/contracts';
import { ARCHIVE_STORE, ArchiveStore } from '../store/archive-store';

@Controller()
export class StatsHandler {
  constructor(@Inject(ARCHIVE_STORE) private readonly store: ArchiveStore) {}

  @MessagePattern(ArchiveSubjects.stats)
  handle(): Promise<ArchiveStatsResult> {
    return this.store.totals();
  }
}
