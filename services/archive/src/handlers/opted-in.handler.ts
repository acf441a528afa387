// archive.qry.opted-in: users whose preferences are not plain never, paged by JID (a
// fallback for a gateway that cannot replay ARCHIVE_PREFS).
import { Inject, Controller } from '@nestjs/common';
import { MessagePattern, Payload } from '@nestjs/microservices';
import { ArchiveOptedInQuery, ArchiveOptedInResult, ArchiveSubjects } from '@parley/contracts';
import { ArchiveDomainError } from '../domain/errors';
import { ARCHIVE_STORE, ArchiveStore } from '../store/archive-store';

const DEFAULT_LIMIT = 1000;
const MAX_LIMIT = 5000;

@Controller()
export class OptedInHandler {

  constructor(
    @Inject(ARCHIVE_STORE) private readonly store: ArchiveStore,
  ) {}



  @MessagePattern(ArchiveSubjects.optedIn)
  async handle(@Payload() q: ArchiveOptedInQuery): Promise<ArchiveOptedInResult> {
    const limit = q.limit ?? DEFAULT_LIMIT;
    if (!Number.isInteger(limit) || limit < 1) throw ArchiveDomainError.badRequest('limit must be a positive integer');
    if (q.after !== undefined && typeof q.after !== 'string') throw ArchiveDomainError.badRequest('after must be a JID');
    const n = Math.min(limit, MAX_LIMIT);
    const rows = await this.store.optedIn(q.after, n + 1);
    const users = rows.slice(0, n).map((r) => ({ jid: r.jid, default: r.default, always: r.always, never: r.never, version: r.version }));
    const result: ArchiveOptedInResult = { users };
    if (rows.length > n) result.next = users[users.length - 1].jid;
    return result;
  }
}
