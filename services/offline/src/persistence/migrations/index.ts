// Migrations of the offline database, in order. Append only.
import { OfflineMessages1764000000000 } from './1764000000000-offline-messages';

export const migrations: Function[] = [OfflineMessages1764000000000];
