import type { ServerResponse } from 'node:http';
import { parseXml } from '@parley/xml';
import { BoshLimits, BoshSession, bodyXml, modernVersion, parseRid } from './bosh';
import { connectionLinks, hostMetaJson, hostMetaXrd, publicBase } from './web';

const LIMITS: BoshLimits = { maxWait: 60_000, maxHold: 1, inactivity: 60_000, polling: 2000, maxPause: 120_000, maxBody: 65536 };
const NS = 'http://jabber.org/protocol/httpbind';

/** A response that records what was sent. */
function fakeRes(): ServerResponse & { status?: number; body?: string } {
  const r: { status?: number; body?: string; writableEnded: boolean; destroyed: boolean } & Record<string, unknown> = {
    writableEnded: false,
    destroyed: false,
  };
  r.writeHead = (status: number) => {
    r.status = status;
    return r;
  };
  r.end = (body?: string) => {
    r.body = body;
    r.writableEnded = true;
  };
  r.destroy = () => {
    r.destroyed = true;
  };
  return r as unknown as ServerResponse & { status?: number; body?: string };
}

/** A session as the endpoint makes it, with a stand-in for the C2S connection that answers the stream header. */
function session(create: string, limits = LIMITS): { s: BoshSession; input: string[]; closed: string[] } {
  const input: string[] = [];
  const closed: string[] = [];
  const s = new BoshSession(parseXml(create), 'localhost', '192.0.2.1', limits, () => closed.push('done'));
  s.connection = { settled: () => Promise.resolve() } as never;
  s.on('data', (b: Buffer) => {
    const text = b.toString();
    input.push(text);
    if (text.startsWith('<stream:stream')) {
      s.write(`<?xml version='1.0'?><stream:stream xmlns='jabber:client' xmlns:stream='http://etherx.jabber.org/streams' id='abc' from='localhost' version='1.0'>`);
      s.write(`<stream:features><mechanisms xmlns='urn:ietf:params:xml:ns:xmpp-sasl'><mechanism>PLAIN</mechanism></mechanisms></stream:features>`);
    }
  });
  s.on('close', () => closed.push('close'));
  return { s, input, closed };
}

const tick = () => new Promise((r) => setImmediate(r));

describe('BOSH wire format', () => {
  it('wraps payloads in a body, declaring the stream prefix only when a payload uses it, and escapes attributes', () => {
    expect(bodyXml({})).toBe(`<body xmlns='${NS}'/>`);
    expect(bodyXml({ type: 'terminate', condition: 'item-not-found' })).toBe(`<body xmlns='${NS}' type='terminate' condition='item-not-found'/>`);
    expect(bodyXml({ sid: `a'b` }, '<stream:features/>')).toBe(`<body xmlns='${NS}' xmlns:stream='http://etherx.jabber.org/streams' sid='a&apos;b'><stream:features/></body>`);
  });

  it('takes rids as positive integers below 2^53 only', () => {
    expect(parseRid('1')).toBe(1);
    expect(parseRid('9007199254740991')).toBe(9007199254740991);
    expect(parseRid('9007199254740992')).toBeUndefined();
    for (const bad of [undefined, '', '0', '-1', '1.5', '1e3', ' 1', '0x10']) expect(parseRid(bad)).toBeUndefined();
  });

  it('tells BOSH 1.6+ clients (terminal bodies) from older ones (HTTP codes)', () => {
    expect(modernVersion('1.6')).toBe(true);
    expect(modernVersion('1.11')).toBe(true);
    expect(modernVersion('2.0')).toBe(true);
    expect(modernVersion('1.5')).toBe(false);
    expect(modernVersion(undefined)).toBe(false);
    expect(modernVersion('x')).toBe(false);
  });
});

describe('BOSH session', () => {
  const create = `<body xmlns='${NS}' xmlns:xmpp='urn:xmpp:xbosh' rid='100' to='localhost' wait='600' hold='3' ver='1.6' xmpp:version='1.0' ack='1'/>`;

  it('opens the stream and answers the creation request with the session attributes and the features', () => {
    const { s, input } = session(create);
    const res = fakeRes();
    s.start('localhost', res, parseXml(create));
    expect(input[0]).toBe(`<stream:stream xmlns='jabber:client' xmlns:stream='http://etherx.jabber.org/streams' to='localhost' version='1.0'>`);
    const body = parseXml(res.body!);
    // the client's wait and hold are lowered to the server's limits
    expect(body.attrs).toMatchObject({ sid: s.sid, wait: '60', hold: '1', requests: '2', ack: '100', authid: 'abc', from: 'localhost', 'xmpp:version': '1.0' });
    expect(body.getChild('features')).toBeDefined();
  });

  it('holds an empty request until output comes, and adds jabber:client to stanzas', async () => {
    const { s } = session(create);
    s.start('localhost', fakeRes(), parseXml(create));
    const held = fakeRes();
    s.request(parseXml(`<body xmlns='${NS}' rid='101' sid='${s.sid}'/>`), held);
    await tick();
    expect(held.body).toBeUndefined();
    s.write(`<message from='bob@localhost' type='chat'><body>hi</body></message>`);
    await tick();
    expect(held.body).toBe(`<body xmlns='${NS}'><message xmlns='jabber:client' from='bob@localhost' type='chat'><body>hi</body></message></body>`);
  });

  it('waits for a missing rid before processing a later one, and answers the oldest held request first', async () => {
    const { s, input } = session(create);
    s.start('localhost', fakeRes(), parseXml(create));
    const r102 = fakeRes();
    const r101 = fakeRes();
    s.request(parseXml(`<body xmlns='${NS}' rid='102' sid='${s.sid}'><presence xmlns='jabber:client' id='second'/></body>`), r102);
    expect(input.join('')).not.toContain('second');
    s.request(parseXml(`<body xmlns='${NS}' rid='101' sid='${s.sid}'><presence xmlns='jabber:client' id='first'/></body>`), r101);
    const text = input.slice(1).join('');
    expect(text.indexOf('first')).toBeLessThan(text.indexOf('second'));
    // hold=1: 101 was answered when 102 was held, acknowledging 102 (§9.1)
    expect(parseXml(r101.body!).attrs.ack).toBe('102');
    expect(r102.body).toBeUndefined();
  });

  it('resends the answer of a repeated rid, and ends the session on a rid beyond the window', () => {
    const { s, closed } = session(create);
    const first = fakeRes();
    s.start('localhost', first, parseXml(create));
    const again = fakeRes();
    s.request(parseXml(`<body xmlns='${NS}' rid='100' sid='${s.sid}'/>`), again);
    expect(again.body).toBe(first.body);
    const far = fakeRes();
    s.request(parseXml(`<body xmlns='${NS}' rid='103' sid='${s.sid}'/>`), far);
    expect(parseXml(far.body!).attrs).toMatchObject({ type: 'terminate', condition: 'item-not-found' });
    expect(closed).toEqual(['close', 'done']);
  });

  it('answers with HTTP codes for a client older than BOSH 1.6', () => {
    const old = `<body xmlns='${NS}' rid='100' to='localhost' wait='60' hold='1'/>`;
    const { s } = session(old);
    s.start('localhost', fakeRes(), parseXml(old));
    const bad = fakeRes();
    s.request(parseXml(`<body xmlns='${NS}' rid='nope' sid='${s.sid}'/>`), bad);
    expect(bad.status).toBe(400);
  });

  it('holds input back while the connection is paused (read rate limit) and passes it on in order when resumed', () => {
    const { s, input } = session(create);
    s.start('localhost', fakeRes(), parseXml(create));
    s.pause();
    s.request(parseXml(`<body xmlns='${NS}' rid='101' sid='${s.sid}'><presence xmlns='jabber:client' id='a'/></body>`), fakeRes());
    s.request(parseXml(`<body xmlns='${NS}' rid='102' sid='${s.sid}'><presence xmlns='jabber:client' id='b'/></body>`), fakeRes());
    expect(input).toHaveLength(1); // the stream header only
    s.resume();
    expect(input.slice(1).join('')).toMatch(/id="a".*id="b"|id='a'.*id='b'/);
  });

  it('closes the stream of a terminating request after its payloads, even those held back by the rate limit', async () => {
    const { s, input } = session(create);
    s.start('localhost', fakeRes(), parseXml(create));
    s.pause();
    const bye = fakeRes();
    s.request(parseXml(`<body xmlns='${NS}' rid='101' sid='${s.sid}' type='terminate'><presence xmlns='jabber:client' type='unavailable'/></body>`), bye);
    await tick();
    expect(input).toHaveLength(1);
    expect(bye.body).toBeUndefined(); // the stream does not end before its last payloads are read
    s.resume();
    await tick();
    expect(input.slice(1)).toEqual(['<presence xmlns="jabber:client" type="unavailable"/>', '</stream:stream>']);
    expect(parseXml(bye.body!).attrs.type).toBe('terminate');
  });

  it('reports a stream error as remote-stream-error with the error inside', async () => {
    const { s } = session(create);
    s.start('localhost', fakeRes(), parseXml(create));
    const held = fakeRes();
    s.request(parseXml(`<body xmlns='${NS}' rid='101' sid='${s.sid}'/>`), held);
    s.write(`<stream:error><not-authorized xmlns='urn:ietf:params:xml:ns:xmpp-streams'/></stream:error>`);
    s.write('</stream:stream>');
    s.end();
    await tick();
    const body = parseXml(held.body!);
    expect(body.attrs).toMatchObject({ type: 'terminate', condition: 'remote-stream-error' });
    expect(held.body).toContain(`xmlns:stream='http://etherx.jabber.org/streams'`);
    expect(held.body).toContain('<stream:error><not-authorized');
  });
});

describe('XEP-0156 host-meta', () => {
  const cfg = { WS_PATH: '/xmpp-websocket', BOSH_PATH: '/http-bind', BOSH_ENABLED: true };

  it('lists WebSocket and BOSH at the public URL, or at the Host the request named', () => {
    expect(publicBase({ HTTP_PUBLIC_URL: 'https://chat.example.org/' }, 'evil.example')).toBe('https://chat.example.org');
    expect(publicBase({ HTTP_PUBLIC_URL: undefined }, 'Example.org:5281')).toBe('https://example.org:5281');
    expect(publicBase({ HTTP_PUBLIC_URL: undefined }, 'a"><script>')).toBeUndefined();
    expect(publicBase({ HTTP_PUBLIC_URL: undefined }, undefined)).toBeUndefined();
    const links = connectionLinks(cfg, 'https://example.org');
    expect(hostMetaXrd(links)).toBe(
      `<?xml version='1.0' encoding='utf-8'?>\n<XRD xmlns='http://docs.oasis-open.org/ns/xri/xrd-1.0'>\n` +
        `  <Link rel="urn:xmpp:alt-connections:websocket" href="wss://example.org/xmpp-websocket"/>\n` +
        `  <Link rel="urn:xmpp:alt-connections:xbosh" href="https://example.org/http-bind"/>\n</XRD>\n`,
    );
    expect(JSON.parse(hostMetaJson(links)).links).toHaveLength(2);
    expect(connectionLinks({ ...cfg, BOSH_ENABLED: false }, 'https://example.org').map((l) => l.rel)).toEqual(['urn:xmpp:alt-connections:websocket']);
  });
});
