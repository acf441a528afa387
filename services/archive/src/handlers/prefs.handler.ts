// archive.qry.prefs and archive.cmd.set-prefs: XEP-0441 preferences get/set. Every set
// publishes archive.evt.prefs-changed (latest value per user in ARCHIVE_PREFS).
import { Inject, Controller } from '@nestjs/common';
import { MessagePattern, Payload } from '@nestjs/microservices';
import { ArchivePrefsQuery, ArchivePrefsV1, ArchiveSetPrefsCommand, ArchiveSubjects } from '@parley/contracts';
import { foldJid } from '@parley/xep';
import { ArchiveConfig } from '../config/config';
import { ArchiveDomainError } from '../domain/errors';
import { defaultPrefs, isBareJidLike, normalizePrefs } from '../domain/prefs';
import { ARCHIVE_STORE, ArchiveStore } from '../store/archive-store';
import { ARCHIVE_CONFIG } from '../tokens';
import { PrefsEvents } from './prefs-events';

const owner = (jid: unknown): string => {
  if (!isBareJidLike(jid)) throw ArchiveDomainError.badRequest('jid is not a bare JID');
  return foldJid(jid);
};

@Controller()
export class PrefsHandler {

  constructor(
    @Inject(ARCHIVE_STORE) private readonly store: ArchiveStore,
    @Inject(ARCHIVE_CONFIG) private readonly config: ArchiveConfig,
    private readonly events: PrefsEvents,
  ) {}



  @MessagePattern(ArchiveSubjects.getPrefs)
  async get(@Payload() q: ArchivePrefsQuery): Promise<ArchivePrefsV1> {
    const row = await this.store.getPrefs(owner(q?.jid));
    return row ? { default: row.default, always: row.always, never: row.never } : defaultPrefs();
  }

  @MessagePattern(ArchiveSubjects.setPrefs)
  async set(@Payload() c: ArchiveSetPrefsCommand): Promise<ArchivePrefsV1> {
    const jid = owner(c?.jid);
    const prefs = normalizePrefs(c, this.config.ARCHIVE_PREFS_LIST_MAX);
    const row = await this.store.setPrefs(jid, prefs);
    // Committed first; if publishing fails the outbox timer republishes it.
    await this.events.publishLatest(jid);
    return { default: row.default, always: row.always, never: row.never };
  }
}
