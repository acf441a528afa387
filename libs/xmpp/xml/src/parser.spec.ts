// Stream parser: events, namespace normalisation, stream restarts, parseXml.
import { NS_STREAMS, parseXml, StreamParser, XmlError } from './index';
import { HEADER, Recorder } from './spec-helpers';

describe('StreamParser: basic events', () => {
  it('reports the stream header as soon as its start tag is complete', () => {
    const r = new Recorder().write(HEADER);
    expect(r.events).toEqual(['start stream:stream jabber:client']);
    expect(r.headers[0]).toEqual({
      name: 'stream',
      ns: NS_STREAMS,
      prefix: 'stream',
      attrs: {
        xmlns: 'jabber:client',
        'xmlns:stream': NS_STREAMS,
        to: 'example.com',
        version: '1.0',
        'xml:lang': 'en',
      },
      defaultNs: 'jabber:client',
    });
  });

  it('accepts a header without an XML declaration, and one with encoding UTF-8', () => {
    expect(new Recorder().write(HEADER.replace("<?xml version='1.0'?>", '')).events).toHaveLength(1);
    expect(new Recorder().write(HEADER.replace("version='1.0'?>", "version='1.0' encoding='UTF-8'?>")).errors).toEqual([]);
  });

  it('emits each top-level element when its end tag closes, then the stream end', () => {
    const r = new Recorder().write(HEADER, '<message to="a@b"><body>hi</bo');
    expect(r.stanzas).toHaveLength(0);
    r.write('dy></message>\n<presence/><iq type="get" id="1"><ping xmlns="urn:xmpp:ping"/></iq></stream:stream>');
    expect(r.events.slice(1)).toEqual([
      '<message to="a@b"><body>hi</body></message>',
      '<presence/>',
      '<iq type="get" id="1"><ping xmlns="urn:xmpp:ping"/></iq>',
      'end',
    ]);
  });

  it('ignores whitespace keepalives between stanzas', () => {
    const r = new Recorder().write(HEADER, ' ', '\n', '\r\n\t ', '<presence/>', '   ', ' ', '<presence/>\r', '\n', '\r', '<presence/>');
    expect(r.events).toEqual(['start stream:stream jabber:client', '<presence/>', '<presence/>', '<presence/>']);
  });

  it('decodes predefined entities, numeric character references and CDATA into text', () => {
    const r = new Recorder().write(
      HEADER,
      '<message><body>&lt;&gt;&amp;&quot;&apos; &#233;&#x1F600; <![CDATA[<raw> & ]]]]><![CDATA[>]]></body></message>',
    );
    expect(r.stanzas[0].getChildText('body')).toBe(`<>&"' é😀 <raw> & ]]>`);
    expect(r.stanzas[0].getChild('body')?.children).toHaveLength(1);
  });

  it('ignores everything after </stream:stream> until reset', () => {
    const r = new Recorder().write(HEADER, '</stream:stream><message/> garbage <<<');
    expect(r.events).toEqual(['start stream:stream jabber:client', 'end']);
  });

  it('reports a self-closed stream header as a start and an end', () => {
    const r = new Recorder().write("<stream:stream xmlns:stream='http://etherx.jabber.org/streams' xmlns='jabber:client'/>");
    expect(r.events).toEqual(['start stream:stream jabber:client', 'end']);
  });

  it('emits nothing for end() on a stream that was simply cut off', () => {
    const r = new Recorder().write(HEADER, '<message><body>half');
    r.parser.end();
    r.write('</body></message>');
    expect(r.events).toEqual(['start stream:stream jabber:client']);
  });
});

describe('StreamParser: namespace normalisation', () => {
  const stanzasOf = (body: string, header = HEADER): string[] => {
    const r = new Recorder().write(header, body);
    expect(r.errors).toEqual([]);
    return r.stanzas.map(String);
  };

  it('gives a stanza in the stream default namespace no xmlns attribute', () => {
    expect(stanzasOf("<message xmlns='jabber:client'><body>x</body></message><presence/>")).toEqual([
      '<message><body>x</body></message>',
      '<presence/>',
    ]);
  });

  it('keeps xmlns on a top-level element in another namespace', () => {
    expect(stanzasOf("<auth xmlns='urn:ietf:params:xml:ns:xmpp-sasl' mechanism='PLAIN'>AGE=</auth>")).toEqual([
      '<auth xmlns="urn:ietf:params:xml:ns:xmpp-sasl" mechanism="PLAIN">AGE=</auth>',
    ]);
  });

  it('turns a prefixed element into its local name with xmlns set, dropping the unused declaration', () => {
    expect(stanzasOf("<foo:auth xmlns:foo='urn:ietf:params:xml:ns:xmpp-sasl' mechanism='SCRAM-SHA-1'/>")).toEqual([
      '<auth xmlns="urn:ietf:params:xml:ns:xmpp-sasl" mechanism="SCRAM-SHA-1"/>',
    ]);
  });

  it('gives deeper elements xmlns only where the namespace changes', () => {
    const expected = '<iq type="result" id="r1"><query xmlns="jabber:iq:roster"><item jid="a@b"><group>Friends</group></item></query></iq>';
    expect(stanzasOf("<iq type='result' id='r1'><query xmlns='jabber:iq:roster'><item jid='a@b'><group>Friends</group></item></query></iq>")).toEqual([expected]);
    expect(
      stanzasOf("<iq type='result' id='r1'><r:query xmlns:r='jabber:iq:roster'><r:item jid='a@b'><r:group>Friends</r:group></r:item></r:query></iq>"),
    ).toEqual([expected]);
  });

  it('records a switch back to the empty namespace as xmlns=""', () => {
    expect(stanzasOf("<message><foo xmlns=''><bar/></foo></message>")).toEqual(['<message><foo xmlns=""><bar/></foo></message>']);
  });

  it('keeps stream-namespace top-level elements as error/features with the streams xmlns', () => {
    const server = "<stream:stream xmlns='jabber:client' xmlns:stream='http://etherx.jabber.org/streams' from='example.com' id='s1' version='1.0'>";
    expect(
      stanzasOf(
        "<stream:features><starttls xmlns='urn:ietf:params:xml:ns:xmpp-tls'><required/></starttls>" +
          "<mechanisms xmlns='urn:ietf:params:xml:ns:xmpp-sasl'><mechanism>PLAIN</mechanism></mechanisms></stream:features>" +
          "<stream:error><not-well-formed xmlns='urn:ietf:params:xml:ns:xmpp-streams'/></stream:error>",
        server,
      ),
    ).toEqual([
      `<features xmlns="${NS_STREAMS}"><starttls xmlns="urn:ietf:params:xml:ns:xmpp-tls"><required/></starttls>` +
        '<mechanisms xmlns="urn:ietf:params:xml:ns:xmpp-sasl"><mechanism>PLAIN</mechanism></mechanisms></features>',
      `<error xmlns="${NS_STREAMS}"><not-well-formed xmlns="urn:ietf:params:xml:ns:xmpp-streams"/></error>`,
    ]);
  });

  it('keeps xml:lang as xml:lang', () => {
    expect(stanzasOf("<message xml:lang='de'><body xml:lang='fr'>salut</body></message>")).toEqual([
      '<message xml:lang="de"><body xml:lang="fr">salut</body></message>',
    ]);
  });

  it('keeps a prefix declaration that an attribute of the element uses', () => {
    expect(stanzasOf("<message xmlns:ext='urn:ext' ext:flag='1' xmlns:junk='urn:junk'/>")).toEqual([
      '<message ext:flag="1" xmlns:ext="urn:ext"/>',
    ]);
  });

  it('keeps a prefix declaration on the declaring element when a descendant attribute uses it', () => {
    const [s] = stanzasOf("<iq xmlns:e='urn:e'><query xmlns='q'><item e:a='1'/></query></iq>");
    expect(s).toBe('<iq xmlns:e="urn:e"><query xmlns="q"><item e:a="1"/></query></iq>');
    expect(parseXml(s).getChild('query')?.getChild('item')?.attrs['e:a']).toBe('1');
  });

  it('adds the declaration of a prefix bound on the stream header to the element using it', () => {
    const header = HEADER.replace("xml:lang='en'", "xml:lang='en' xmlns:db='jabber:server:dialback'");
    expect(stanzasOf("<message db:x='1'/>", header)).toEqual(['<message db:x="1" xmlns:db="jabber:server:dialback"/>']);
  });

  it('treats a stream without a default namespace as the empty namespace', () => {
    const header = "<stream:stream xmlns:stream='http://etherx.jabber.org/streams'>";
    const r = new Recorder().write(header, "<message/><auth xmlns='urn:sasl'/>");
    expect(r.headers[0].defaultNs).toBeUndefined();
    expect(r.stanzas.map(String)).toEqual(['<message/>', '<auth xmlns="urn:sasl"/>']);
  });

  it('accepts the streams namespace as the default namespace of the header', () => {
    const r = new Recorder().write("<stream xmlns='http://etherx.jabber.org/streams'>", '<features/>');
    expect(r.headers[0]).toMatchObject({ name: 'stream', prefix: '', defaultNs: NS_STREAMS });
    expect(r.stanzas.map(String)).toEqual(['<features/>']);
  });
});

describe('StreamParser: restarts', () => {
  it('parses a fresh stream (XML declaration included) after reset()', () => {
    const r = new Recorder().write(HEADER, "<auth xmlns='urn:ietf:params:xml:ns:xmpp-sasl' mechanism='PLAIN'>=</auth>");
    r.parser.reset();
    r.write(HEADER, '<iq type="set" id="b"/>');
    expect(r.events).toEqual([
      'start stream:stream jabber:client',
      '<auth xmlns="urn:ietf:params:xml:ns:xmpp-sasl" mechanism="PLAIN">=</auth>',
      'start stream:stream jabber:client',
      '<iq type="set" id="b"/>',
    ]);
  });

  it('feeds the rest of a chunk to the new stream when a handler resets the parser', () => {
    const events: string[] = [];
    const parser: StreamParser = new StreamParser({
      streamStart: () => events.push('start'),
      stanza: (el) => {
        events.push(el.name);
        if (el.name === 'success') parser.reset();
      },
      streamEnd: () => events.push('end'),
      error: (e) => events.push(e.condition),
    });
    parser.write(Buffer.from(HEADER + "<success xmlns='urn:ietf:params:xml:ns:xmpp-sasl'/>" + HEADER + "<message/>", 'utf8'));
    expect(events).toEqual(['start', 'success', 'start', 'message']);
  });

  it('recovers from an error after reset()', () => {
    const r = new Recorder().write(HEADER, '<a></b>');
    expect(r.error).toBe('not-well-formed');
    r.parser.reset();
    r.write(HEADER, '<presence/>');
    expect(r.events.slice(-2)).toEqual(['start stream:stream jabber:client', '<presence/>']);
  });

  it('lets a handler exception propagate and stops until reset()', () => {
    const parser = new StreamParser({
      streamStart() {},
      stanza() {
        throw new Error('handler bug');
      },
      streamEnd() {},
      error() {},
    });
    expect(() => parser.write(HEADER + '<presence/>')).toThrow('handler bug');
    expect(() => parser.write('<presence/>')).not.toThrow();
  });
});

describe('parseXml', () => {
  it('parses one element, keeping the root namespace as xmlns', () => {
    const el = parseXml("<?xml version='1.0'?>\n<query xmlns='jabber:iq:roster' ver='1'><item jid='a@b' name='Ä &amp; B'/></query>\n");
    expect(el.toString()).toBe('<query xmlns="jabber:iq:roster" ver="1"><item jid="a@b" name="Ä &amp; B"/></query>');
  });

  it('leaves an element without a namespace without xmlns', () => {
    expect(parseXml('<message><body>hi</body></message>').attrs).toEqual({});
  });

  it.each([
    ['an empty document', '', 'not-well-formed'],
    ['plain text', 'hello', 'not-well-formed'],
    ['an unclosed element', '<a><b></b>', 'not-well-formed'],
    ['two roots', '<a/><b/>', 'not-well-formed'],
    ['a comment', '<a><!-- hi --></a>', 'restricted-xml'],
    ['a processing instruction', '<a><?php echo 1 ?></a>', 'restricted-xml'],
    ['a DOCTYPE', '<!DOCTYPE a><a/>', 'restricted-xml'],
    ['an undefined entity', '<a>&nbsp;</a>', 'restricted-xml'],
    ['an unbound prefix', '<x:a/>', 'bad-namespace-prefix'],
  ])('rejects %s', (_what, doc, condition) => {
    expect(() => parseXml(doc)).toThrow(XmlError);
    try {
      parseXml(doc);
    } catch (e) {
      expect((e as XmlError).condition).toBe(condition);
    }
  });
});
