// A user's XEP-0441 archiving preferences. No row means the default: never archive.
import { Column, Entity, PrimaryColumn } from 'typeorm';

@Entity({ name: 'archive_prefs' })
export class ArchivePrefsEntity {
  /** The user's bare JID. */
  @PrimaryColumn({ type: 'text' }) jid: string;

  @Column({ name: 'default_pref', type: 'text' }) defaultPref: 'always' | 'never' | 'roster';

  @Column({ name: 'always_jids', type: 'text', array: true }) alwaysJids: string[];

  @Column({ name: 'never_jids', type: 'text', array: true }) neverJids: string[];

  /** +1 on every change; carried by archive.evt.prefs-changed. */
  @Column({ type: 'int' }) version: number;

  /**
   * Written only by the previous version's per-row outbox; the shared outbox replaced it
   * (migration 1764900000000). Kept until no such replica can run, then dropped.
   */
  @Column({ name: 'published_version', type: 'int' }) publishedVersion: number;

  @Column({ name: 'updated_at', type: 'timestamptz' }) updatedAt: Date;
}
