// Entities of the roster database.
export const entities: Function[] = [];
