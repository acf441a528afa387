// archive.qry.metadata: the first and last item of the owner's archive (XEP-0313 #extended).
import { Inject, Controller } from '@nestjs/common';
import { MessagePattern, Payload } from '@nestjs/microservices';
import { ArchiveMetadataQuery, ArchiveMetadataResult, ArchiveSubjects } from '@parley/contracts';
import { PrepareJids } from '@parley/nats';
import { ARCHIVE_STORE, ArchiveStore } from '../store/archive-store';

@Controller()
export class MetadataHandler {

  constructor(
    @Inject(ARCHIVE_STORE) private readonly store: ArchiveStore,
  ) {}



  @MessagePattern(ArchiveSubjects.metadata)
  async handle(@Payload(new PrepareJids({ owner: 'account' })) q: ArchiveMetadataQuery): Promise<ArchiveMetadataResult> {
    const b = await this.store.bounds(q.owner);
    const out: ArchiveMetadataResult = {};
    if (b.start) out.start = { id: b.start.id, timestamp: b.start.ts.toISOString() };
    if (b.end) out.end = { id: b.end.id, timestamp: b.end.ts.toISOString() };
    return out;
  }
}
