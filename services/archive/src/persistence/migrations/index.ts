// Migrations of the archive database, in order. Append only.
import { Archive1764000000000 } from './1764000000000-archive';
import { ArchiveOutbox1764900000000 } from './1764900000000-archive-outbox';
import { ArchiveCounts1765000000000 } from './1765000000000-archive-counts';
import { ArchiveCountsLockOrder1765200000000 } from './1765200000000-archive-counts-lock-order';

export const migrations: Function[] = [Archive1764000000000, ArchiveOutbox1764900000000, ArchiveCounts1765000000000, ArchiveCountsLockOrder1765200000000];
