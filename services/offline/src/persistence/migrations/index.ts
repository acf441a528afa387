// Migrations of the offline database, in order. Append only.
import { OfflineMessages1764000000000 } from './1764000000000-offline-messages';
import { Outbox1764100000000 } from './1764100000000-outbox';
import { OfflineCounts1765200000000 } from './1765200000000-offline-counts';

export const migrations: Function[] = [OfflineMessages1764000000000, Outbox1764100000000, OfflineCounts1765200000000];
