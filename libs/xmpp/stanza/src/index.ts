// @parley/stanza: namespaces, stanza and stream errors, common stanza helpers.
export * from './ns';
export * from './errors';
export * from './message-type';
