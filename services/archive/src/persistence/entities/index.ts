// Entities of the archive database.
export const entities: Function[] = [];
