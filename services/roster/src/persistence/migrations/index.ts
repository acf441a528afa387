// Migrations of the roster database, in order. Append only.
import { Roster1763950000000 } from './1763950000000-roster';

export const migrations: Function[] = [Roster1763950000000];
