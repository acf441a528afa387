// archive.qry.metadata: the first and last item of the owner's archive (XEP-0313 #extended).
import { Inject, Injectable } from '@nestjs/common';
import { ArchiveMetadataQuery, ArchiveMetadataResult, ArchiveSubjects } from '@parley/contracts';
import { Bus } from '@parley/nats';
import { foldJid } from '@parley/xep';
import type { Subscription } from 'nats';
import { ArchiveDomainError } from '../domain/errors';
import { isBareJidLike } from '../domain/prefs';
import { ARCHIVE_STORE, ArchiveStore } from '../store/archive-store';
import { ArchiveHandler, answering } from './handler';

@Injectable()
export class MetadataHandler implements ArchiveHandler {
  private sub?: Subscription;

  constructor(
    private readonly bus: Bus,
    @Inject(ARCHIVE_STORE) private readonly store: ArchiveStore,
  ) {}

  async start(): Promise<void> {
    this.sub = this.bus.serve<ArchiveMetadataQuery, ArchiveMetadataResult>(ArchiveSubjects.metadata, (q) => answering(() => this.handle(q)), {
      queue: 'archive',
    });
  }

  async stop(): Promise<void> {
    this.sub?.unsubscribe();
  }

  async handle(q: ArchiveMetadataQuery): Promise<ArchiveMetadataResult> {
    if (!isBareJidLike(q?.owner)) throw ArchiveDomainError.badRequest('owner is not a bare JID');
    const b = await this.store.bounds(foldJid(q.owner));
    const out: ArchiveMetadataResult = {};
    if (b.start) out.start = { id: b.start.id, timestamp: b.start.ts.toISOString() };
    if (b.end) out.end = { id: b.end.id, timestamp: b.end.ts.toISOString() };
    return out;
  }
}
