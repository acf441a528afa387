import { parseXml } from '@parley/xml';
import { carbonEligible, carbonXml, forwardedXml } from './carbons';

const msg = (attrs: string, children = '<body>hi</body>') => parseXml(`<message from='bob@localhost/b' to='alice@localhost/a' ${attrs}>${children}</message>`);

describe('XEP-0280 rules', () => {
  it.each([
    ["type='chat'", '<body>hi</body>', true],
    ["type='chat'", "<active xmlns='http://jabber.org/protocol/chatstates'/>", true],
    ["type='normal'", '<body>hi</body>', true],
    ['', '<body>hi</body>', true],
    ["type='normal'", "<x xmlns='jabber:x:data'/>", false],
    ["type='headline'", '<body>hi</body>', false],
    ["type='groupchat'", '<body>hi</body>', false],
    ["type='error'", '<body>hi</body>', false],
    ["type='chat'", "<body>hi</body><private xmlns='urn:xmpp:carbons:2'/>", false],
    ["type='chat'", "<body>hi</body><no-copy xmlns='urn:xmpp:hints'/>", false],
    ["type='chat'", "<body>hi</body><x xmlns='http://jabber.org/protocol/muc#user'/>", false],
    ["type='chat'", "<received xmlns='urn:xmpp:carbons:2'/>", false],
  ])('<message %s>%s</message> eligible: %s', (attrs, children, eligible) => {
    expect(carbonEligible(msg(attrs, children))).toBe(eligible);
  });

  it('wraps a copy from the bare JID to the resource, keeping the type and the inner namespace', () => {
    const m = msg("type='chat'", `<body>hi &amp; bye</body><stanza-id xmlns='urn:xmpp:sid:0' by='alice@localhost' id='r1'/><stanza-id xmlns='urn:xmpp:sid:0' by='bob@localhost' id='theirs'/>`);
    const inner = forwardedXml(m, ['alice@localhost', 'bob@localhost'], { id: 's1', by: 'bob@localhost' });
    const xml = carbonXml('sent', 'bob@localhost', 'bob@localhost/phone', 'chat', inner);
    const el = parseXml(xml);
    expect(el.attrs).toEqual({ from: 'bob@localhost', to: 'bob@localhost/phone', type: 'chat' });
    const fwd = el.getChild('sent', 'urn:xmpp:carbons:2')!.getChild('forwarded', 'urn:xmpp:forward:0')!;
    const copy = fwd.getChild('message', 'jabber:client')!;
    expect(copy.getChildText('body')).toBe('hi & bye');
    expect(copy.getChildren('stanza-id').map((s) => s.attrs.id)).toEqual(['s1']);
    expect(m.getChildren('stanza-id')).toHaveLength(2);
    expect(parseXml(carbonXml('received', 'a@b', 'a@b/c', undefined, forwardedXml(m))).attrs.type).toBeUndefined();
  });
});
