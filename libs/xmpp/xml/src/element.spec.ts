// Element model, builder and serializer.
import { Element, escapeXml, escapeXmlText, parseXml, x } from './index';

describe('Element', () => {
  it('drops undefined attributes and stringifies numbers', () => {
    const el = new Element('iq', { id: 'a1', to: undefined, seq: 7 });
    expect(el.attrs).toEqual({ id: 'a1', seq: '7' });
  });

  it('reads and writes attributes, and deletes one when set to undefined', () => {
    const el = new Element('message', { type: 'chat' });
    expect(el.getAttr('type')).toBe('chat');
    el.setAttr('type', 'normal').setAttr('id', 'x');
    expect(el.attrs).toEqual({ type: 'normal', id: 'x' });
    el.setAttr('id', undefined);
    expect('id' in el.attrs).toBe(false);
  });

  it('exposes the xmlns attribute as xmlns', () => {
    expect(new Element('query', { xmlns: 'jabber:iq:roster' }).xmlns).toBe('jabber:iq:roster');
    expect(new Element('body').xmlns).toBeUndefined();
  });

  it('finds children by name, and by namespace including the one they inherit', () => {
    const q = x('query', { xmlns: 'jabber:iq:roster' }, x('item', { jid: 'a@b' }), x('x', { xmlns: 'urn:other' }));
    const iq = x('iq', { type: 'result' }, q, x('query', { xmlns: 'jabber:iq:version' }));
    expect(iq.getChild('query')).toBe(q);
    expect(iq.getChild('query', 'jabber:iq:version')?.xmlns).toBe('jabber:iq:version');
    expect(iq.getChild('query', 'nope')).toBeUndefined();
    expect(q.getChild('item', 'jabber:iq:roster')?.attrs.jid).toBe('a@b');
    expect(q.getChild('x', 'jabber:iq:roster')).toBeUndefined();
    expect(iq.getChildByNs('jabber:iq:version')?.name).toBe('query');
    expect(q.getChildByNs('urn:other')?.name).toBe('x');
  });

  it('lists children, optionally by name and namespace', () => {
    const el = x('a', null, x('b'), 'text', x('c'), x('b', { xmlns: 'n' }));
    expect(el.getChildren().map((c) => c.name)).toEqual(['b', 'c', 'b']);
    expect(el.getChildren('b')).toHaveLength(2);
    expect(el.getChildren('b', 'n')).toHaveLength(1);
  });

  it('concatenates direct text children only', () => {
    const el = x('body', null, 'Hello, ', x('b', null, 'bold'), 'world');
    expect(el.text()).toBe('Hello, world');
    expect(x('show').text()).toBe('');
    expect(x('m', null, x('body', null, 'hi')).getChildText('body')).toBe('hi');
    expect(x('m').getChildText('body')).toBeUndefined();
  });

  it('skips undefined, null, false and empty strings when appending', () => {
    const cond = false;
    const el = x('m', null, undefined, null, cond && x('never'), '', [x('a'), 'b']);
    el.append(undefined, x('c'), null);
    expect(el.children).toHaveLength(3);
    expect(el.toString()).toBe('<m><a/>b<c/></m>');
  });

  it('removes a child by identity', () => {
    const a = x('a');
    const el = x('m', null, x('a'), a);
    el.remove(a);
    expect(el.children).toHaveLength(1);
    expect(el.children[0]).not.toBe(a);
  });

  it('clones deeply, so changing the copy leaves the original alone', () => {
    const orig = x('message', { to: 'a@b' }, x('body', null, 'hi'));
    const copy = orig.clone();
    copy.setAttr('to', 'c@d');
    (copy.getChild('body') as Element).children.push(' there');
    expect(orig.toString()).toBe('<message to="a@b"><body>hi</body></message>');
    expect(copy.toString()).toBe('<message to="c@d"><body>hi there</body></message>');
  });
});

describe('serialisation', () => {
  it('writes empty elements self-closed', () => {
    expect(x('r', { xmlns: 'urn:xmpp:sm:3' }).toString()).toBe('<r xmlns="urn:xmpp:sm:3"/>');
  });

  it('escapes & < > " and \' in attribute values', () => {
    expect(x('a', { v: `"quoted" & 'single' <tag>` }).toString()).toBe(
      '<a v="&quot;quoted&quot; &amp; &apos;single&apos; &lt;tag&gt;"/>',
    );
  });

  it('escapes & < > in text, so "]]>" cannot end up in the output', () => {
    expect(x('body', null, 'a < b && c > d ]]> e "q"').toString()).toBe(
      '<body>a &lt; b &amp;&amp; c &gt; d ]]&gt; e "q"</body>',
    );
  });

  it('escapes whitespace in attributes so it survives attribute-value normalisation', () => {
    expect(escapeXml('a\tb\nc\rd')).toBe('a&#9;b&#10;c&#13;d');
    expect(escapeXmlText('line1\r\nline2')).toBe('line1&#13;\nline2');
  });

  it('returns strings without special characters unchanged', () => {
    const s = 'plain text, nothing to do';
    expect(escapeXml(s)).toBe(s);
    expect(escapeXmlText(s)).toBe(s);
  });

  it('round-trips through the parser unchanged', () => {
    const el = x(
      'message',
      { xmlns: 'jabber:client', to: 'jüliet@example.com', id: `a"b'c<d>&e`, note: 'tab\there\nnewline\rcr' },
      x('body', null, 'Café ☕ 日本語 😀 & <3 ]]> \r\n done'),
      x('active', { xmlns: 'http://jabber.org/protocol/chatstates' }),
      x('html', { xmlns: 'http://jabber.org/protocol/xhtml-im' }, x('body', { xmlns: 'http://www.w3.org/1999/xhtml' }, 'a', x('b', null, 'b'), 'c')),
    );
    const back = parseXml(el.toString());
    expect(back).toEqual(el);
    expect(back.toString()).toBe(el.toString());
  });
});
