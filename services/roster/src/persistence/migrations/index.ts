// Migrations of the roster database, in order. Append only.
import { Roster1763950000000 } from './1763950000000-roster';
import { PendingRequestStanza1764700000000 } from './1764700000000-pending-request-stanza';

export const migrations: Function[] = [Roster1763950000000, PendingRequestStanza1764700000000];
