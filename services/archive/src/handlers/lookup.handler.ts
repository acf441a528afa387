// archive.qry.lookup: a XEP-0313 query (filters + RSM page) of the owner's archive.
import { Inject, Controller } from '@nestjs/common';
import { MessagePattern, Payload } from '@nestjs/microservices';
import { ArchiveLookupQuery, ArchiveLookupResult, ArchiveSubjects } from '@parley/contracts';
import { PrepareJids } from '@parley/nats';
import { ArchiveConfig } from '../config/config';
import { planLookup } from '../domain/lookup';
import { ARCHIVE_STORE, ArchiveStore } from '../store/archive-store';
import { ARCHIVE_CONFIG } from '../tokens';

@Controller()
export class LookupHandler {

  constructor(
    @Inject(ARCHIVE_STORE) private readonly store: ArchiveStore,
    @Inject(ARCHIVE_CONFIG) private readonly config: ArchiveConfig,
  ) {}



  @MessagePattern(ArchiveSubjects.lookup)
  async handle(@Payload(new PrepareJids({ owner: 'account', with: 'full?' })) q: ArchiveLookupQuery): Promise<ArchiveLookupResult> {
    const plan = planLookup(q, { pageDefault: this.config.ARCHIVE_PAGE_DEFAULT, pageMax: this.config.ARCHIVE_PAGE_MAX });
    const page = await this.store.lookup(plan);
    const items = page.rows.map((r) => ({ id: r.id, timestamp: r.ts.toISOString(), stanza: r.stanza, with: r.withBare, direction: r.direction }));
    const result: ArchiveLookupResult = { items: plan.flip ? [...items].reverse() : items, complete: page.complete };
    if (items.length) {
      result.first = items[0].id;
      result.last = items[items.length - 1].id;
    }
    if (page.count !== undefined) result.count = page.count;
    if (page.firstIndex !== undefined) result.firstIndex = page.firstIndex;
    return result;
  }
}
