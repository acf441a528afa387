// Migrations of the janitor database, in order. Append only.
import { Janitor1765000000000 } from './1765000000000-janitor';
import { Erasures1765100000000 } from './1765100000000-erasures';
import { JanitorOutbox1765200000000 } from './1765200000000-janitor-outbox';

export const migrations: Function[] = [Janitor1765000000000, Erasures1765100000000, JanitorOutbox1765200000000];
