// Stream parser against hostile or broken input: arbitrary chunking, XML
// features XMPP forbids, malformed XML, and resource exhaustion attempts.
import { StreamParser } from './index';
import { HEADER, Recorder } from './spec-helpers';

const STREAM =
  HEADER +
  '\n' +
  "<auth xmlns='urn:ietf:params:xml:ns:xmpp-sasl' mechanism='SCRAM-SHA-1'>biwsbj11c2VyLHI9ZnlrbytkMmxiYkZnT05Sdjlxa3hkYXdM</auth>\n" +
  "<iq type='set' id='bind_1'><bind xmlns='urn:ietf:params:xml:ns:xmpp-bind'><resource>balcón é</resource></bind></iq>" +
  "<message to='rómeo@example.net' type='chat' id='m1' xml:lang='fr'><body>Café ☕ 日本語 😀 &amp; &lt;3 &#x1F600; &#233;\r\n</body>" +
  "<active xmlns='http://jabber.org/protocol/chatstates'/></message>  " +
  '<presence><show>away</show><status>Ich bin weg — 🌙</status></presence>\t' +
  "<foo:r xmlns:foo='urn:xmpp:sm:3'/>" +
  "<message to='x@y'><body><![CDATA[<not markup> & ]]]]><![CDATA[> 🚀]]></body></message>\r\n" +
  '</stream:stream>';

const EXPECTED = [
  'start stream:stream jabber:client',
  '<auth xmlns="urn:ietf:params:xml:ns:xmpp-sasl" mechanism="SCRAM-SHA-1">biwsbj11c2VyLHI9ZnlrbytkMmxiYkZnT05Sdjlxa3hkYXdM</auth>',
  '<iq type="set" id="bind_1"><bind xmlns="urn:ietf:params:xml:ns:xmpp-bind"><resource>balcón é</resource></bind></iq>',
  '<message to="rómeo@example.net" type="chat" id="m1" xml:lang="fr"><body>Café ☕ 日本語 😀 &amp; &lt;3 😀 é\n</body>' +
    '<active xmlns="http://jabber.org/protocol/chatstates"/></message>',
  '<presence><show>away</show><status>Ich bin weg — 🌙</status></presence>',
  '<r xmlns="urn:xmpp:sm:3"/>',
  '<message to="x@y"><body>&lt;not markup&gt; &amp; ]]&gt; 🚀</body></message>',
  'end',
];

/** Writes `chunks` until the parser reports an error; returns the bytes written by then. */
function bytesUntilError(r: Recorder, chunks: Iterable<string | Buffer>): number {
  let written = 0;
  for (const c of chunks) {
    r.write(c);
    written += Buffer.byteLength(c);
    if (r.errors.length) break;
  }
  return written;
}

function* repeat(chunk: string, times: number): Generator<string> {
  for (let i = 0; i < times; i++) yield chunk;
}

describe('StreamParser under arbitrary chunking', () => {
  const bytes = Buffer.from(STREAM, 'utf8');

  it('parses the reference stream in one piece', () => {
    expect(new Recorder().write(bytes).events).toEqual(EXPECTED);
  });

  it('produces the same stanzas when the stream is split at every byte boundary, inside UTF-8 sequences too', () => {
    for (let i = 1; i < bytes.length; i++) {
      const r = new Recorder().write(bytes.subarray(0, i), bytes.subarray(i));
      if (r.events.join('\n') !== EXPECTED.join('\n')) {
        throw new Error(`split at byte ${i} gave ${JSON.stringify(r.events)}`);
      }
    }
  });

  it('produces the same stanzas when fed one byte at a time', () => {
    const r = new Recorder();
    for (let i = 0; i < bytes.length; i++) r.write(bytes.subarray(i, i + 1));
    expect(r.events).toEqual(EXPECTED);
  });

  it('produces the same stanzas for many random three-way splits', () => {
    let seed = 12345;
    const rnd = (n: number) => {
      seed = (seed * 1103515245 + 12345) & 0x7fffffff;
      return seed % n;
    };
    for (let k = 0; k < 300; k++) {
      const a = 1 + rnd(bytes.length - 2);
      const b = a + 1 + rnd(bytes.length - a - 1);
      const r = new Recorder().write(bytes.subarray(0, a), bytes.subarray(a, b), bytes.subarray(b));
      expect(r.events).toEqual(EXPECTED);
    }
  });

  it('handles input far larger than one internal piece in a single write', () => {
    const body = '😀é日'.repeat(15000);
    const many = HEADER + '<presence/>'.repeat(20000) + '<message><body>' + body + '</body></message>';
    const r = new Recorder().write(Buffer.from(many, 'utf8'));
    expect(r.errors).toEqual([]);
    expect(r.stanzas).toHaveLength(20001);
    expect(r.stanzas[20000].getChildText('body')).toBe(body);
  });
});

describe('StreamParser rejects XML that XMPP restricts (restricted-xml)', () => {
  const LAUGHS =
    '<!DOCTYPE lolz [\n <!ENTITY lol "lol">\n' +
    Array.from({ length: 9 }, (_, i) => ` <!ENTITY lol${i + 1} "${`&lol${i || ''};`.repeat(10)}">\n`).join('') +
    ']>';

  it('rejects a billion-laughs DTD before the header, without ever starting the stream', () => {
    const r = new Recorder().write("<?xml version='1.0'?>" + LAUGHS + HEADER.slice(21) + '<message><body>&lol9;</body></message>');
    expect(r.events).toEqual(['error restricted-xml']);
  });

  it('rejects a DTD inside the stream', () => {
    const r = new Recorder().write(HEADER, LAUGHS, '<message><body>&lol9;</body></message>');
    expect(r.events).toEqual(['start stream:stream jabber:client', 'error restricted-xml']);
  });

  it('rejects an external entity declaration', () => {
    const r = new Recorder().write('<!DOCTYPE foo [<!ENTITY xxe SYSTEM "file:///etc/passwd">]>', HEADER.slice(21));
    expect(r.events).toEqual(['error restricted-xml']);
  });

  it.each([
    ['in text', '<message><body>&xxe;</body></message>'],
    ['in an attribute', "<message to='&lol9;'/>"],
    ['that HTML would know', '<message><body>&nbsp;</body></message>'],
  ])('rejects an undefined entity reference %s', (_where, stanza) => {
    expect(new Recorder().write(HEADER, stanza).events).toEqual(['start stream:stream jabber:client', 'error restricted-xml']);
  });

  it.each([
    ['before the header', '<!-- hello -->' + HEADER.slice(21), false],
    ['between stanzas', HEADER + '<presence/><!-- hello --><presence/>', true],
    ['inside a stanza', HEADER + '<message><!-- hello --></message>', true],
  ])('rejects a comment %s', (_where, input, started) => {
    const r = new Recorder().write(input);
    expect(r.error).toBe('restricted-xml');
    expect(r.headers.length > 0).toBe(started);
  });

  it.each([
    ['before the header', "<?xml-stylesheet href='a.xsl'?>" + HEADER.slice(21)],
    ['between stanzas', HEADER + '<presence/><?php evil() ?>'],
    ['inside a stanza', HEADER + '<message><?target data?></message>'],
  ])('rejects a processing instruction %s', (_where, input) => {
    expect(new Recorder().write(input).error).toBe('restricted-xml');
  });

  it('rejects an XML declaration in an encoding other than UTF-8 (unsupported-encoding)', () => {
    const r = new Recorder().write("<?xml version='1.0' encoding='ISO-8859-1'?>" + HEADER.slice(21));
    expect(r.events).toEqual(['error unsupported-encoding']);
  });
});

describe('StreamParser rejects malformed input (not-well-formed)', () => {
  it.each([
    ['a mismatched end tag', '<message></presence>'],
    ['the stream closed inside a stanza', '<message><body>hi</stream:stream>'],
    ['garbage', '<<<>>>'],
    ['a space after <', '< message/>'],
    ['an unquoted attribute', '<message to=a@b/>'],
    ['a duplicate attribute', "<message id='1' id='2'/>"],
    ['an attribute without a value', '<message disabled/>'],
    ['text between stanzas', '<presence/>hello<presence/>'],
    ['a control character', '<message><body>\u0001</body></message>'],
    ['a reference to a forbidden character', '<message><body>&#0;</body></message>'],
    ['"]]>" in text', '<message><body>a ]]> b</body></message>'],
    ['an XML declaration in the middle', "<?xml version='1.0'?>"],
    ['a second root after the stream', '</stream:stream>'],
    ['a stray end tag at stream level', '<presence/></foo>'],
  ])('rejects %s', (_what, body) => {
    const r = new Recorder().write(HEADER, body);
    if (body === '</stream:stream>') {
      expect(r.events).toEqual(['start stream:stream jabber:client', 'end']);
      return;
    }
    expect(r.error).toBe('not-well-formed');
    expect(r.stanzas.every((s) => s.name === 'presence')).toBe(true);
  });

  it.each([
    ['a stray continuation byte', [0x80]],
    ['an invalid lead byte', [0xff]],
    ['a truncated sequence followed by ASCII', [0xc3, 0x28]],
    ['an overlong encoding of "/"', [0xc0, 0xaf]],
    ['an encoded UTF-16 surrogate', [0xed, 0xa0, 0x80]],
  ])('rejects invalid UTF-8: %s', (_what, seq) => {
    const r = new Recorder().write(HEADER, Buffer.concat([Buffer.from('<message><body>'), Buffer.from(seq), Buffer.from('</body></message>')]));
    expect(r.events).toEqual(['start stream:stream jabber:client', 'error not-well-formed']);
  });

  it('rejects a stream whose root is not <stream:stream> (invalid-namespace)', () => {
    expect(new Recorder().write('<message/>').error).toBe('invalid-namespace');
    expect(new Recorder().write("<stream:stream xmlns:stream='urn:not-streams' xmlns='jabber:client'>").error).toBe('invalid-namespace');
  });

  it('rejects undefined prefixes (bad-namespace-prefix)', () => {
    expect(new Recorder().write("<stream:stream xmlns='jabber:client' to='x'>").error).toBe('bad-namespace-prefix');
    expect(new Recorder().write(HEADER, '<foo:message/>').error).toBe('bad-namespace-prefix');
    expect(new Recorder().write(HEADER, "<message foo:bar='1'/>").error).toBe('bad-namespace-prefix');
  });

  it('reports only the first error and then ignores all input until reset', () => {
    const r = new Recorder().write(HEADER, '<a></b><c></d>&bogus;<!-- x -->');
    r.write('<presence/>', '</stream:stream>');
    expect(r.events).toEqual(['start stream:stream jabber:client', 'error not-well-formed']);
  });
});

describe('StreamParser limits (policy-violation)', () => {
  const LIMIT = 262144;

  it('stops a huge attribute value as soon as the stanza limit is crossed', () => {
    const r = new Recorder();
    const header = Buffer.byteLength(HEADER);
    const written = bytesUntilError(r, [HEADER, "<message to='", ...repeat('a'.repeat(1024), 10240)]);
    expect(r.events).toEqual(['start stream:stream jabber:client', 'error policy-violation']);
    expect(written - header).toBeGreaterThan(LIMIT);
    expect(written - header).toBeLessThanOrEqual(LIMIT + 1024 + 13);
  });

  it('stops huge text as soon as the stanza limit is crossed, counting bytes not characters', () => {
    const r = new Recorder();
    const header = Buffer.byteLength(HEADER);
    const written = bytesUntilError(r, [HEADER, '<message><body>', ...repeat('日'.repeat(1000), 10000)]);
    expect(r.error).toBe('policy-violation');
    expect(written - header).toBeGreaterThan(LIMIT);
    expect(written - header).toBeLessThanOrEqual(LIMIT + 3000 + 15);
  });

  it('stops an oversized stanza delivered in one big write', () => {
    const r = new Recorder().write(HEADER + "<message to='" + 'a'.repeat(5_000_000) + "'/>");
    expect(r.events).toEqual(['start stream:stream jabber:client', 'error policy-violation']);
  });

  it('accepts a stanza of exactly maxStanzaBytes and rejects one byte more', () => {
    const stanzaOf = (bytes: number) => {
      const open = '<message><body>';
      const close = '</body></message>';
      const room = bytes - open.length - close.length;
      const multi = 'é😀日'.repeat(Math.floor(room / 9));
      return open + multi + 'x'.repeat(room - Buffer.byteLength(multi)) + close;
    };
    expect(Buffer.byteLength(stanzaOf(1000))).toBe(1000);
    const ok = new Recorder({ maxStanzaBytes: 1000 }).write(HEADER, '\n<presence/>\n' + stanzaOf(1000) + '\n<presence/>');
    expect(ok.errors).toEqual([]);
    expect(ok.stanzas).toHaveLength(3);
    const bytes = Buffer.from(HEADER + '<presence/>' + stanzaOf(1000) + stanzaOf(1001) + '<presence/>', 'utf8');
    for (const chunks of [[bytes], [bytes.subarray(0, 500), bytes.subarray(500, 1501), bytes.subarray(1501)]]) {
      const r = new Recorder({ maxStanzaBytes: 1000 }).write(...chunks);
      expect(r.stanzas).toHaveLength(2);
      expect(r.error).toBe('policy-violation');
    }
  });

  it('does not count whitespace keepalives against the next stanza, however many arrive', () => {
    const r = new Recorder({ maxStanzaBytes: 1000 });
    r.write(HEADER, '<presence/>');
    for (const ws of repeat(' \n'.repeat(512), 1024)) r.write(ws);
    r.write(' '.repeat(1_000_000));
    r.write("<message><body>still here</body></message>");
    expect(r.errors).toEqual([]);
    expect(r.stanzas).toHaveLength(2);
  });

  it('bounds non-whitespace junk between stanzas too', () => {
    const r = new Recorder({ maxStanzaBytes: 1000 });
    bytesUntilError(r, [HEADER, ...repeat('junk', 10000)]);
    expect(r.error).toBe('policy-violation');
  });

  it('rejects a stream header larger than maxHeaderBytes before its end arrives', () => {
    const r = new Recorder();
    const written = bytesUntilError(r, ["<stream:stream xmlns:stream='http://etherx.jabber.org/streams' to='", ...repeat('x'.repeat(1024), 1000)]);
    expect(r.events).toEqual(['error policy-violation']);
    expect(written).toBeLessThanOrEqual(65536 + 1024 + 70);
    expect(new Recorder({ maxHeaderBytes: 100 }).write(HEADER).error).toBe('policy-violation');
  });

  it('accepts nesting up to maxDepth and rejects one level more', () => {
    const nest = (n: number) => '<a>'.repeat(n) + '</a>'.repeat(n);
    expect(new Recorder().write(HEADER, nest(64)).errors).toEqual([]);
    expect(new Recorder().write(HEADER, nest(65)).error).toBe('policy-violation');
    expect(new Recorder({ maxDepth: 3 }).write(HEADER, nest(4)).error).toBe('policy-violation');
  });

  it('stops a depth bomb early', () => {
    const r = new Recorder();
    const written = bytesUntilError(r, [HEADER, ...repeat('<a>'.repeat(10), 100000)]);
    expect(r.error).toBe('policy-violation');
    expect(written).toBeLessThan(Buffer.byteLength(HEADER) + 300);
  });

  it('accepts maxAttributes attributes and rejects one more, on stanzas and on the header', () => {
    const attrs = (n: number) => Array.from({ length: n }, (_, i) => ` a${i}='${i}'`).join('');
    expect(new Recorder().write(HEADER, `<message${attrs(128)}/>`).errors).toEqual([]);
    expect(new Recorder().write(HEADER, `<message${attrs(129)}/>`).error).toBe('policy-violation');
    expect(new Recorder({ maxAttributes: 4 }).write(HEADER).error).toBe('policy-violation');
  });

  it('applies the limits afresh after reset()', () => {
    const r = new Recorder({ maxStanzaBytes: 100 });
    r.write(HEADER, '<presence/>');
    r.parser.reset();
    r.write(HEADER, `<message><body>${'x'.repeat(60)}</body></message>`, `<message><body>${'x'.repeat(80)}</body></message>`);
    expect(r.stanzas).toHaveLength(2);
    expect(r.error).toBe('policy-violation');
  });

  it('keeps working across a long session of many stanzas', () => {
    const parser = new StreamParser(
      { streamStart() {}, stanza() {}, streamEnd() {}, error: (e) => fail(e) },
      { maxStanzaBytes: 200 },
    );
    parser.write(HEADER);
    for (let i = 0; i < 5000; i++) parser.write(`<message id='${i}'><body>${'é'.repeat(i % 50)}</body></message>\n`);
  });
});
