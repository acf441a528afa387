// Migrations of the archive database, in order. Append only.
import { Archive1764000000000 } from './1764000000000-archive';

export const migrations: Function[] = [Archive1764000000000];
