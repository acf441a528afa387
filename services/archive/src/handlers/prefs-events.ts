// Publishes archive.evt.prefs-changed on the user's own subject in ARCHIVE_PREFS, from
// the stored row (an outbox: a row whose version is above published_version is still
// to publish), and purges that subject when the user is gone.
import { Inject, Injectable } from '@nestjs/common';
import { ARCHIVE_PREFS, ArchiveEvents, ArchivePrefsChangedV1, envelope } from '@parley/contracts';
import { Bus } from '@parley/nats';
import { isOptedIn } from '../domain/prefs';
import { ARCHIVE_STORE, ArchiveStore } from '../store/archive-store';
import { LOGGER, Logger } from '@parley/runtime';

/** How many republish rounds one call makes before leaving the rest to the next tick. */
const MAX_ROUNDS = 5;

@Injectable()
export class PrefsEvents {
  constructor(
    private readonly bus: Bus,
    @Inject(ARCHIVE_STORE) private readonly store: ArchiveStore,
    @Inject(LOGGER) private readonly log: Logger,
  ) {}

  /**
   * Publishes the user's current preferences until the stream's last value is the
   * newest version (a concurrent change elsewhere may have published an older one
   * after ours), and purges the subject if the user was erased meanwhile.
   */
  async publishLatest(jid: string, causationId?: string): Promise<void> {
    for (let round = 0; round < MAX_ROUNDS; round++) {
      const row = await this.store.getPrefs(jid);
      if (!row) {
        await this.purge(jid);
        return;
      }
      const data: ArchivePrefsChangedV1 = {
        jid,
        default: row.default,
        always: row.always,
        never: row.never,
        optedIn: isOptedIn(row),
        version: row.version,
      };
      await this.bus.publishEvent(envelope(ArchiveEvents.prefsChanged, data, { causationId }), ArchiveEvents.prefsChangedFor(jid));
      await this.store.markPublished(jid, row.version);
      const after = await this.store.getPrefs(jid);
      if (!after) {
        await this.purge(jid);
        return;
      }
      if (after.version === row.version) return;
    }
  }

  /** Publishes every row left unpublished (after a crash or a NATS outage). */
  async flushPending(): Promise<number> {
    let n = 0;
    for (const jid of await this.store.pendingPrefs(500)) {
      try {
        await this.publishLatest(jid);
        n++;
      } catch (e) {
        this.log.warn({ err: e }, 'prefs-changed republish failed; will retry');
        break;
      }
    }
    return n;
  }

  /** Removes the user's last prefs-changed message from ARCHIVE_PREFS. */
  async purge(jid: string): Promise<void> {
    await this.bus.purgeSubject(ARCHIVE_PREFS, ArchiveEvents.prefsChangedFor(jid));
  }
}
