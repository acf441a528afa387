// Migrations of the offline database, in order. Append only.
export const migrations: Function[] = [];
