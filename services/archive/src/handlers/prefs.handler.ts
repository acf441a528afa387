// archive.qry.prefs and archive.cmd.set-prefs: XEP-0441 preferences get/set. Every set
// publishes archive.evt.prefs-changed (latest value per user in ARCHIVE_PREFS).
import { Inject, Injectable } from '@nestjs/common';
import { ArchivePrefsQuery, ArchivePrefsV1, ArchiveSetPrefsCommand, ArchiveSubjects } from '@parley/contracts';
import { Bus } from '@parley/nats';
import { foldJid } from '@parley/xep';
import type { Subscription } from 'nats';
import { ArchiveConfig } from '../config/config';
import { ArchiveDomainError } from '../domain/errors';
import { defaultPrefs, isBareJidLike, normalizePrefs } from '../domain/prefs';
import { ARCHIVE_STORE, ArchiveStore } from '../store/archive-store';
import { ARCHIVE_CONFIG } from '../tokens';
import { ArchiveHandler, answering } from './handler';
import { PrefsEvents } from './prefs-events';

const owner = (jid: unknown): string => {
  if (!isBareJidLike(jid)) throw ArchiveDomainError.badRequest('jid is not a bare JID');
  return foldJid(jid);
};

@Injectable()
export class PrefsHandler implements ArchiveHandler {
  private subs: Subscription[] = [];

  constructor(
    private readonly bus: Bus,
    @Inject(ARCHIVE_STORE) private readonly store: ArchiveStore,
    @Inject(ARCHIVE_CONFIG) private readonly config: ArchiveConfig,
    private readonly events: PrefsEvents,
  ) {}

  async start(): Promise<void> {
    this.subs = [
      this.bus.serve<ArchivePrefsQuery, ArchivePrefsV1>(ArchiveSubjects.getPrefs, (q) => answering(() => this.get(q)), { queue: 'archive' }),
      this.bus.serve<ArchiveSetPrefsCommand, ArchivePrefsV1>(ArchiveSubjects.setPrefs, (c) => answering(() => this.set(c)), { queue: 'archive' }),
    ];
  }

  async stop(): Promise<void> {
    for (const s of this.subs) s.unsubscribe();
    this.subs = [];
  }

  async get(q: ArchivePrefsQuery): Promise<ArchivePrefsV1> {
    const row = await this.store.getPrefs(owner(q?.jid));
    return row ? { default: row.default, always: row.always, never: row.never } : defaultPrefs();
  }

  async set(c: ArchiveSetPrefsCommand): Promise<ArchivePrefsV1> {
    const jid = owner(c?.jid);
    const prefs = normalizePrefs(c, this.config.ARCHIVE_PREFS_LIST_MAX);
    const row = await this.store.setPrefs(jid, prefs);
    // Committed first; if publishing fails the outbox timer republishes it.
    await this.events.publishLatest(jid);
    return { default: row.default, always: row.always, never: row.never };
  }
}
