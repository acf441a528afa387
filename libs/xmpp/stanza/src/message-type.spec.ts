import { isMessageType, messageType } from './message-type';

describe('message types (RFC 6121 §5.2.2)', () => {
  it.each(['chat', 'error', 'groupchat', 'headline', 'normal'])('keeps the defined type %s', (t) => {
    expect(messageType(t)).toBe(t);
    expect(isMessageType(t)).toBe(true);
  });

  it('treats a message without a type, or with one not understood, as normal', () => {
    expect(messageType(undefined)).toBe('normal');
    expect(messageType('')).toBe('normal');
    expect(messageType('Chat')).toBe('normal');
    expect(messageType('fancy')).toBe('normal');
  });

  it('recognises only the defined types', () => {
    for (const t of [undefined, null, '', 'Chat', 'fancy', 3]) expect(isMessageType(t)).toBe(false);
  });
});
