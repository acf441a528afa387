import { parseXml } from '@parley/xml';
import { originId, stanzaId, stripStanzaIds, withoutStanzaIds } from './sid';

describe('XEP-0359 stanza ids', () => {
  it('encodes the stanza-id a user archive adds (XEP-0313 §3.5 example)', () => {
    expect(stanzaId.toElement({ by: 'juliet@capulet.lit', id: '28482-98726-73623' }).toString()).toBe(
      `<stanza-id xmlns="urn:xmpp:sid:0" by="juliet@capulet.lit" id="28482-98726-73623"/>`,
    );
  });

  it('strips forged ids claiming to be by the archive, keeping others and the origin-id', () => {
    const m = parseXml(
      `<message xmlns='jabber:client' to='juliet@capulet.lit' type='chat'><body>hi</body>` +
        `<stanza-id xmlns='urn:xmpp:sid:0' by='Juliet@capulet.lit' id='forged'/>` +
        `<stanza-id xmlns='urn:xmpp:sid:0' by='room@muc.lit' id='other'/>` +
        `<origin-id xmlns='urn:xmpp:sid:0' id='de305d54'/></message>`,
    );
    stripStanzaIds(m, 'juliet@capulet.lit');
    expect(stanzaId.allFrom(m)).toEqual([{ by: 'room@muc.lit', id: 'other' }]);
    expect(originId(m)).toBe('de305d54');
  });

  it('copies a message without the ids of some archives, leaving the original alone', () => {
    const m = parseXml(
      `<message xmlns='jabber:client' to='juliet@capulet.lit' type='chat'><body>hi</body>` +
        `<stanza-id xmlns='urn:xmpp:sid:0' by='juliet@capulet.lit' id='j'/>` +
        `<stanza-id xmlns='urn:xmpp:sid:0' by='Romeo@montague.lit' id='r'/>` +
        `<stanza-id by='juliet@capulet.lit' id='not-a-sid'/>` +
        `<stanza-id xmlns='urn:xmpp:sid:0' by='room@muc.lit' id='other'/></message>`,
    );
    const copy = withoutStanzaIds(m, ['juliet@capulet.lit', 'romeo@montague.lit']);
    expect(stanzaId.allFrom(copy)).toEqual([{ by: 'room@muc.lit', id: 'other' }]);
    expect(copy.getChildText('body')).toBe('hi');
    expect(copy.getChildren('stanza-id')).toHaveLength(2);
    expect(stanzaId.allFrom(m)).toHaveLength(3);
    expect(copy.attrs).toEqual(m.attrs);
  });
});
