// Entities of the offline database.
export const entities: Function[] = [];
