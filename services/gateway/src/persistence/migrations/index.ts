// Migrations of the gateway database, in order. Append only.
import { Accounts1763900000000 } from './1763900000000-accounts';
import { ScramSha5121764600000000 } from './1764600000000-scram-sha-512';
import { OutboxTombstones1765100000000 } from './1765100000000-outbox-tombstones';

export const migrations: Function[] = [Accounts1763900000000, ScramSha5121764600000000, OutboxTombstones1765100000000];
