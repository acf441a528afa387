// RFC 6121 §5.2.2: the `type` of a message stanza.

/** The message types RFC 6121 §5.2.2 defines. */
export type MessageType = 'chat' | 'error' | 'groupchat' | 'headline' | 'normal';

const MESSAGE_TYPES: ReadonlySet<string> = new Set<MessageType>(['chat', 'error', 'groupchat', 'headline', 'normal']);

/** Whether `t` is one of the defined message types. */
export function isMessageType(t: unknown): t is MessageType {
  return typeof t === 'string' && MESSAGE_TYPES.has(t);
}

/**
 * The type a message is handled as, from its `type` attribute: RFC 6121 §5.2.2 says a
 * message without one, or with one the server does not understand, is `normal`.
 */
export function messageType(typeAttr: string | undefined): MessageType {
  return isMessageType(typeAttr) ? typeAttr : 'normal';
}
