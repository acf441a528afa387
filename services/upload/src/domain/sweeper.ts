// Retention (upload.cmd.sweep, which the janitor sends every JANITOR_SWEEP_INTERVAL): files
// past their purpose's retention are deleted from the file store, then their rows; slots
// never used (or whose upload died with its process) are dropped a while after their PUT
// URL expired. Publishes upload.evt.swept with counts only. Also erases a deleted
// account's files (gateway.evt.account-deleted).
import { Inject, Injectable, OnApplicationBootstrap } from '@nestjs/common';
import { envelope, UploadEvents, UploadSweepResult, UploadSweptV1 } from '@parley/contracts';
import { JobTrigger, LOGGER, Logger, SCHEDULER, Scheduler } from '@parley/runtime';
import type { UploadConfig } from '../config/config';
import { FILE_STORE, FileStore } from '../storage/file-store';
import { UploadStore } from '../store/upload-store';
import { UPLOAD_CONFIG } from '../tokens';

/** The scheduler's name of the retention job. */
export const UPLOAD_RETENTION_JOB = 'upload-retention';
const BATCH = 500;
/** An upload still running this long after its PUT URL expired died with its process. */
const ABANDONED_AFTER_MS = 24 * 3600 * 1000;

@Injectable()
export class Sweeper implements OnApplicationBootstrap {
  constructor(
    private readonly store: UploadStore,
    @Inject(FILE_STORE) private readonly files: FileStore,
    @Inject(UPLOAD_CONFIG) private readonly config: UploadConfig,
    @Inject(LOGGER) private readonly log: Logger,
    @Inject(SCHEDULER) private readonly scheduler: Scheduler,
  ) {}

  onApplicationBootstrap(): void {
    this.scheduler.onDemand(UPLOAD_RETENTION_JOB, (trigger) => this.sweep(trigger));
  }

  /** Deletes each file from the store, then the rows whose files are gone (a failed delete is retried next sweep). */
  private async deleteFiles(ids: string[]): Promise<string[]> {
    const gone: string[] = [];
    for (const id of ids) {
      try {
        await this.files.delete(id);
        gone.push(id);
      } catch (err) {
        this.log.warn({ err }, 'an uploaded file could not be deleted; retried at the next sweep');
      }
    }
    await this.store.deleteRows(gone);
    return gone;
  }

  async sweep(trigger: JobTrigger): Promise<UploadSweepResult> {
    const now = Date.now();
    const cutoff = new Date(now - this.config.UPLOAD_RETENTION);
    let filesDeleted = 0;
    let bytesDeleted = 0;
    let slotsDeleted = 0;
    for (;;) {
      const batch = await this.store.expired(BATCH);
      if (!batch.length) break;
      const gone = new Set(await this.deleteFiles(batch.map((b) => b.id)));
      filesDeleted += gone.size;
      bytesDeleted += batch.filter((b) => gone.has(b.id)).reduce((n, b) => n + b.size, 0);
      if (gone.size < batch.length) break;
    }
    for (;;) {
      // Slots never completed. The row goes first (no PUT can claim it after that), then
      // whatever a failed PUT may have left in some stores.
      const batch = await this.store.abandoned('reserved', new Date(now), BATCH);
      const dropped = await this.store.deleteRows(batch, 'reserved');
      slotsDeleted += dropped.length;
      for (const id of dropped) await this.files.delete(id).catch((err) => this.log.warn({ err }, 'the remains of an unused slot could not be deleted'));
      if (batch.length < BATCH) break;
    }
    for (;;) {
      // Uploads whose process died mid-way: the store may hold a partial file.
      const batch = await this.store.abandoned('uploading', new Date(now - ABANDONED_AFTER_MS), BATCH);
      const gone = await this.deleteFiles(batch);
      slotsDeleted += gone.length;
      if (batch.length < BATCH || gone.length < batch.length) break;
    }
    this.log.info({ trigger, filesDeleted, bytesDeleted, slotsDeleted, cutoff: cutoff.toISOString() }, 'upload retention sweep');
    const result: UploadSweepResult = { filesDeleted, bytesDeleted, slotsDeleted, cutoff: cutoff.toISOString() };
    const swept: UploadSweptV1 = { ...result, retentionMs: this.config.UPLOAD_RETENTION, trigger };
    // Counts only, queued in the outbox after the deletions (the relay publishes it).
    await this.store.queue(envelope(UploadEvents.swept, swept));
    return result;
  }

  /** Erases every file of `user`; returns how many. Idempotent. */
  async eraseUser(user: string): Promise<number> {
    let n = 0;
    for (;;) {
      const ids = await this.store.ofUser(user, BATCH);
      if (!ids.length) return n;
      const gone = await this.deleteFiles(ids);
      n += gone.length;
      if (gone.length < ids.length) throw new Error('some files of a deleted account could not be deleted; the event is retried');
    }
  }
}
