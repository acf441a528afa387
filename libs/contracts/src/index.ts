// @parley/contracts: the only place that spells a subject, a stream or a payload type.
// It imports nothing.
export * from './envelope';
export * from './jid-token';
export * from './streams';
export * from './all-streams';
export * from './gateway';
export * from './roster';
export * from './offline';
export * from './archive';
export * from './janitor';
export * from './erasure';
export * from './upload';
export * from './profile';
export * from './domain-error';
export * from './groups';
export * from './bus-roles';
