// Migrations of the janitor database, in order. Append only.
import { Janitor1765000000000 } from './1765000000000-janitor';
import { Erasures1765100000000 } from './1765100000000-erasures';

export const migrations: Function[] = [Janitor1765000000000, Erasures1765100000000];
