// @parley/xep: pure codecs and rules per XEP (fromElement/toElement), no I/O.
export * from './dataforms';
export * from './rsm';
export * from './sid';
export { isDateTime, toDateTime } from './util';
export * from './mam/ns';
export * from './mam/prefs-rules';
export * from './mam/prefs';
export * from './mam/query';
export * from './mam/results';
export * from './blocking';
export * from './roster';
export * from './blocking-command';
export * from './register';
export * from './pep/caps';
export * from './pep/pubsub';
export * from './pep/vcard';
