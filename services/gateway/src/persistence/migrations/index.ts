// Migrations of the gateway database, in order. Append only.
import { Accounts1763900000000 } from './1763900000000-accounts';

export const migrations: Function[] = [Accounts1763900000000];
