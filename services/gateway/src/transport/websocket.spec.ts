import { addressMatcher, clientAddress, fromFrame, originMatcher, toFrame } from './websocket';

describe('RFC 7395 framing', () => {
  it('turns the stream header into <open/> and its end into <close/>', () => {
    expect(toFrame(`<?xml version='1.0'?><stream:stream xmlns='jabber:client' xmlns:stream='http://etherx.jabber.org/streams' id='abc' from='localhost' version='1.0' xml:lang='en'>`)).toBe(
      `<open xmlns='urn:ietf:params:xml:ns:xmpp-framing' id='abc' from='localhost' version='1.0' xml:lang='en'/>`,
    );
    expect(toFrame('</stream:stream>')).toBe(`<close xmlns='urn:ietf:params:xml:ns:xmpp-framing'/>`);
  });

  it('declares the stream prefix on features and errors, and jabber:client on stanzas', () => {
    expect(toFrame('<stream:features><bind xmlns="urn:ietf:params:xml:ns:xmpp-bind"/></stream:features>')).toBe(
      `<stream:features xmlns:stream='http://etherx.jabber.org/streams'><bind xmlns="urn:ietf:params:xml:ns:xmpp-bind"/></stream:features>`,
    );
    expect(toFrame('<message to="a@b" type="chat"><body>x</body></message>')).toBe(`<message xmlns='jabber:client' to="a@b" type="chat"><body>x</body></message>`);
    expect(toFrame('<iq type="result" id="1"/>')).toBe(`<iq xmlns='jabber:client' type="result" id="1"/>`);
    expect(toFrame(`<success xmlns='urn:ietf:params:xml:ns:xmpp-sasl'/>`)).toBe(`<success xmlns='urn:ietf:params:xml:ns:xmpp-sasl'/>`);
  });

  it('sends whitespace keepalives as WebSocket pings', () => {
    expect(toFrame(' ')).toBeUndefined();
  });

  it('turns <open/> into a stream header and <close/> into its end', () => {
    expect(fromFrame(`<open xmlns="urn:ietf:params:xml:ns:xmpp-framing" to="localhost" version="1.0"/>`)).toBe(
      `<stream:stream xmlns='jabber:client' xmlns:stream='http://etherx.jabber.org/streams' to='localhost' version='1.0'>`,
    );
    expect(fromFrame(`<close xmlns="urn:ietf:params:xml:ns:xmpp-framing"/>`)).toBe('</stream:stream>');
    expect(fromFrame(`<message xmlns='jabber:client'/>`)).toBe(`<message xmlns='jabber:client'/>`);
  });

  it("escapes what it copies from <open/>", () => {
    expect(fromFrame(`<open xmlns="urn:ietf:params:xml:ns:xmpp-framing" to="a'b&amp;c"/>`)).toContain(`to='a&apos;b&amp;c'`);
  });
});

describe('WebSocket origin allowlist', () => {
  it('serves native clients (no Origin) always, and browsers from allowed origins only', () => {
    const ok = originMatcher(['https://chat.example.org', 'https://*.example.net']);
    expect(ok(undefined)).toBe(true);
    expect(ok('https://chat.example.org')).toBe(true);
    expect(ok('HTTPS://CHAT.EXAMPLE.ORG')).toBe(true);
    expect(ok('https://web.example.net')).toBe(true);
    expect(ok('https://a.b.example.net')).toBe(true);
    expect(ok('https://example.net')).toBe(false);
    expect(ok('http://web.example.net')).toBe(false);
    expect(ok('https://evil.example.org')).toBe(false);
    expect(ok('https://evilexample.net')).toBe(false);
    expect(ok('null')).toBe(false);
    expect(originMatcher(['*'])('https://anywhere.test')).toBe(true);
  });
});

describe('WebSocket client address behind proxies', () => {
  const req = (peer: string, xff?: string) => ({ socket: { remoteAddress: peer }, headers: xff ? { 'x-forwarded-for': xff } : {} }) as never;

  it('believes X-Forwarded-For only from a trusted proxy, taking the right-most untrusted hop', () => {
    expect(clientAddress(req('10.0.0.5', '203.0.113.7'), ['10.0.0.5'])).toBe('203.0.113.7');
    expect(clientAddress(req('::ffff:10.0.0.5', '198.51.100.1, 203.0.113.7, 10.0.0.4'), ['10.0.0.5', '10.0.0.4'])).toBe('203.0.113.7');
    expect(clientAddress(req('192.0.2.9', '203.0.113.7'), ['10.0.0.5'])).toBe('192.0.2.9'); // anyone can write the header
    expect(clientAddress(req('10.0.0.5', 'not an address'), ['10.0.0.5'])).toBe('10.0.0.5');
    expect(clientAddress(req('10.0.0.5'), ['10.0.0.5'])).toBe('10.0.0.5');
    // CIDR ranges: a pod network whose addresses change (Kubernetes ingress controllers).
    expect(clientAddress(req('10.42.3.17', '203.0.113.7'), ['10.0.0.0/8'])).toBe('203.0.113.7');
    expect(clientAddress(req('10.42.3.17', '203.0.113.7, 10.42.0.9'), ['10.0.0.0/8'])).toBe('203.0.113.7');
    expect(clientAddress(req('11.0.0.1', '203.0.113.7'), ['10.0.0.0/8'])).toBe('11.0.0.1');
    expect(clientAddress(req('fd00::5', '2001:db8::7'), ['fd00::/8'])).toBe('2001:db8::7');
    expect(clientAddress(req('::ffff:172.16.4.4', '198.51.100.2'), ['172.16.0.0/12'])).toBe('198.51.100.2');
    expect(() => addressMatcher(['10.0.0.0/33'])).toThrow(/not an IP address or CIDR/);
    expect(() => addressMatcher(['proxy.example.org'])).toThrow(/not an IP address or CIDR/);
  });
});
