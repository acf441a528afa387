// Migrations of the roster database, in order. Append only.
export const migrations: Function[] = [];
