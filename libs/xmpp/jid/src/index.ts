// Public API of @parley/jid: RFC 7622 XMPP addresses.

export { Jid, parseJid, makeJid, tryParseJid } from './jid';
export { bareOf, domainOf, localOf, resourceOf } from './parts';
export { JidError, MAX_PART_BYTES, prepareLocalpart, prepareDomainpart, prepareResourcepart } from './prep';
