import { stanzaShape, storability, StorableFacts } from './storable';

const chat = `<message xmlns='jabber:client' from='bOb@localhost/phone' to='alicE@localhost' type='chat' id='m1'><body>hi</body></message>`;

function facts(over: Partial<StorableFacts> = {}): StorableFacts {
  return { type: 'chat', noStore: false, chatStateOnly: false, stanza: chat, ...over };
}

describe('what may wait offline', () => {
  it('stores chat and normal messages', () => {
    expect(storability(facts())).toEqual({ storable: true });
    const normal = `<message to='alicE@localhost'><body>no type means normal</body></message>`;
    expect(storability(facts({ type: 'normal', stanza: normal }))).toEqual({ storable: true });
  });

  it.each([
    ['groupchat', 'type-groupchat'],
    ['headline', 'type-headline'],
    ['error', 'type-error'],
    ['bogus', 'type-unknown'],
  ])('refuses a %s message', (type, detail) => {
    const stanza = chat.replace("type='chat'", `type='${type}'`);
    expect(storability(facts({ type, stanza }))).toEqual({ storable: false, detail });
  });

  it('trusts the stricter of the gateway facts and the stanza root tag', () => {
    const headline = chat.replace("type='chat'", "type=\"headline\"");
    expect(storability(facts({ type: 'chat', stanza: headline }))).toEqual({ storable: false, detail: 'type-headline' });
    expect(storability(facts({ type: 'error' }))).toEqual({ storable: false, detail: 'type-error' });
  });

  it('refuses a message whose gateway facts say <no-store/>', () => {
    expect(storability(facts({ noStore: true }))).toEqual({ storable: false, detail: 'no-store-hint' });
  });

  it('refuses a message carrying <no-store/> even when the gateway forgot to say so', () => {
    const hinted = chat.replace('</message>', `<no-store xmlns="urn:xmpp:hints"/></message>`);
    expect(storability(facts({ stanza: hinted }))).toEqual({ storable: false, detail: 'no-store-hint' });
  });

  it('is not fooled by a body that talks about <no-store/>', () => {
    const talky = chat.replace('hi', `use &lt;no-store xmlns='urn:xmpp:hints'/&gt; to opt out`);
    expect(storability(facts({ stanza: talky }))).toEqual({ storable: true });
  });

  it('refuses chat states alone (XEP-0160 §3)', () => {
    expect(storability(facts({ chatStateOnly: true }))).toEqual({ storable: false, detail: 'chat-state-only' });
  });

  it('refuses what is not a message stanza', () => {
    expect(storability(facts({ stanza: `<presence type='subscribe'/>` }))).toEqual({ storable: false, detail: 'not-a-message' });
    expect(storability(facts({ stanza: `<messages/>` }))).toEqual({ storable: false, detail: 'not-a-message' });
  });

  it('reads the root type attribute without mistaking a namespaced one', () => {
    expect(stanzaShape(`<message xmlns:type='x' type='chat'/>`).type).toBe('chat');
    expect(stanzaShape(`<message xml:lang='en'><body type='headline'/></message>`).type).toBe('normal');
  });
});
