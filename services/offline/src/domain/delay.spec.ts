import { stampDelay } from './delay';

const stamp = new Date('2025-03-04T05:06:07.089Z');
const delay = `<delay xmlns='urn:xmpp:delay' from='localhost' stamp='2025-03-04T05:06:07.089Z'/>`;

describe('XEP-0203 stamping', () => {
  it('appends <delay/> as the last child of the message', () => {
    const s = `<message xmlns='jabber:client' to='alicE@localhost' type='chat'><body>hi</body></message>`;
    expect(stampDelay(s, { from: 'localhost', stamp })).toBe(
      `<message xmlns='jabber:client' to='alicE@localhost' type='chat'><body>hi</body>${delay}</message>`,
    );
  });

  it('opens a self-closing message', () => {
    expect(stampDelay(`<message to='a@localhost' />`, { from: 'localhost', stamp })).toBe(`<message to='a@localhost'>${delay}</message>`);
  });

  it('keeps trailing whitespace after the root and a prefixed root', () => {
    expect(stampDelay(`<c:message xmlns:c='jabber:client'><body/></c:message>\n`, { from: 'localhost', stamp })).toBe(
      `<c:message xmlns:c='jabber:client'><body/>${delay}</c:message>\n`,
    );
  });

  it('escapes the from attribute', () => {
    expect(stampDelay(`<message/>`, { from: `a'b`, stamp })).toContain(`from='a&apos;b'`);
  });

  it('gives up on text that is not one message element', () => {
    expect(stampDelay(`<presence/>`, { from: 'localhost', stamp })).toBeUndefined();
    expect(stampDelay(`<message><body>cut`, { from: 'localhost', stamp })).toBeUndefined();
  });
});
