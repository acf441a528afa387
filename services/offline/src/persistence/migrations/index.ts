// Migrations of the offline database, in order. Append only.
import { OfflineMessages1764000000000 } from './1764000000000-offline-messages';
import { Outbox1764100000000 } from './1764100000000-outbox';

export const migrations: Function[] = [OfflineMessages1764000000000, Outbox1764100000000];
