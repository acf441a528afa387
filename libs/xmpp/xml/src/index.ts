// Public API of @parley/xml: the element model, serializer and the streaming
// XMPP parser. Nothing else in this folder is part of the contract.

export { Element, x, escapeXml, escapeXmlText } from './element';
export type { AttrInput, ChildInput } from './element';
export { XmlError } from './errors';
export type { XmlErrorCondition } from './errors';
export { StreamParser, parseXml, NS_STREAMS, DEFAULT_STREAM_LIMITS } from './parser';
export type { StreamParserOptions, StreamParserHandler, StreamHeader } from './parser';
