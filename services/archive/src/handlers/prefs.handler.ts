// archive.qry.prefs and archive.cmd.set-prefs: XEP-0441 preferences get/set. Every set
// queues archive.evt.prefs-changed with the change (latest value per user in ARCHIVE_PREFS).
import { Inject, Controller } from '@nestjs/common';
import { MessagePattern, Payload } from '@nestjs/microservices';
import { ArchivePrefsQuery, ArchivePrefsV1, ArchiveSetPrefsCommand, ArchiveSubjects } from '@parley/contracts';
import { PrepareJids } from '@parley/nats';
import { ArchiveConfig } from '../config/config';
import { defaultPrefs, normalizePrefs } from '../domain/prefs';
import { ARCHIVE_STORE, ArchiveStore } from '../store/archive-store';
import { ARCHIVE_CONFIG } from '../tokens';
import { prefsChanged } from './prefs-events';

/** The owner is an account's bare JID, prepared once here (RFC 7622). */
const OWNER = new PrepareJids({ jid: 'account' });

@Controller()
export class PrefsHandler {

  constructor(
    @Inject(ARCHIVE_STORE) private readonly store: ArchiveStore,
    @Inject(ARCHIVE_CONFIG) private readonly config: ArchiveConfig,
  ) {}

  @MessagePattern(ArchiveSubjects.getPrefs)
  async get(@Payload(OWNER) q: ArchivePrefsQuery): Promise<ArchivePrefsV1> {
    const row = await this.store.getPrefs(q.jid);
    return row ? { default: row.default, always: row.always, never: row.never } : defaultPrefs();
  }

  @MessagePattern(ArchiveSubjects.setPrefs)
  async set(@Payload(OWNER) c: ArchiveSetPrefsCommand): Promise<ArchivePrefsV1> {
    const prefs = normalizePrefs(c, this.config.ARCHIVE_PREFS_LIST_MAX);
    // The event is committed with the change; the outbox relay publishes it.
    const row = await this.store.setPrefs(c.jid, prefs, (r) => prefsChanged(r));
    return { default: row.default, always: row.always, never: row.never };
  }
}
