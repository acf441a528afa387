// Migrations of the archive database, in order. Append only.
export const migrations: Function[] = [];
