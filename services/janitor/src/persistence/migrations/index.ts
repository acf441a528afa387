// Migrations of the janitor database, in order. Append only.
import { Janitor1765000000000 } from './1765000000000-janitor';

export const migrations: Function[] = [Janitor1765000000000];
