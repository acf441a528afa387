// Migrations of the profile database, in order. Append only.
import { Profile1765000000000 } from './1765000000000-profile';

export const migrations: Function[] = [Profile1765000000000];
