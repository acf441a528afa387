import type { Socket } from 'node:net';
import { EventEnvelope, GatewayDeliveryFailedV1, GatewayEvents } from '@parley/contracts';
import { NS } from '@parley/stanza';
import { discoModule } from '../modules/xep-0030-disco/disco.module';
import { uploadModule } from '../modules/xep-0363-upload/upload.module';
import { FakeSocket } from '../testing/fake-socket';
import { settle, TestGateway } from '../testing/test-gateway';
import { ComponentConnection, handshakeDigest } from './component-stream';
import { parseComponents } from './component-config';

const SECRET = 'a-long-shared-secret-1';
const open = (to = 'gw.localhost', ns = 'jabber:component:accept') => `<?xml version='1.0'?><stream:stream xmlns='${ns}' xmlns:stream='http://etherx.jabber.org/streams' to='${to}'>`;

describe('external components (XEP-0114, in process over a fake socket)', () => {
  let gw: TestGateway;
  afterEach(() => gw?.stop());

  const start = (env: Record<string, string> = {}) => TestGateway.start({ modules: [discoModule, uploadModule], env: { COMPONENTS: `gw:${SECRET}`, ...env } });

  const connect = () => {
    const socket = new FakeSocket();
    const conn = new ComponentConnection(socket as unknown as Socket, gw.core.components);
    gw.core.components.opened(conn);
    return { socket, conn };
  };

  /** Opens a stream and answers the handshake with `secret`; returns the socket. */
  const handshake = async (secret = SECRET, to = 'gw.localhost') => {
    const c = connect();
    c.socket.send(open(to));
    const id = (await c.socket.until(/<stream:stream [^>]*id='([^']+)'/))[1];
    c.socket.send(`<handshake>${handshakeDigest(id, secret)}</handshake>`);
    return c;
  };

  it('accepts the right handshake, routes stanzas both ways and is listed in the server disco#items', async () => {
    gw = await start();
    const { socket, conn } = await handshake();
    await socket.until(/<handshake\/>/);
    expect(conn.ready).toBe(true);
    expect(socket.output).toMatch(/from='gw\.localhost'/);
    const alice = await gw.online('alice', 'desk');
    await alice.send(`<message to='bob@gw.localhost' type='chat' id='m1'><body>hi</body></message>`);
    const m = await socket.until(/<message[^>]*id=["']m1["'][^>]*>.*?<\/message>/);
    expect(m[0]).toMatch(/from=["']alice@localhost\/desk["']/);
    expect(m[0]).not.toMatch(/xmlns='jabber:client'/);
    socket.send(`<message from='bob@gw.localhost/x' to='alice@localhost/desk' type='chat' id='m2'><body>hello</body></message>`);
    const got = await alice.next((s) => s.name === 'message' && s.attrs.id === 'm2');
    expect(got.attrs.from).toBe('bob@gw.localhost/x');
    expect(got.getChildText('body')).toBe('hello');
    const items = await alice.iq(`<iq type='get' to='localhost'><query xmlns='${NS.discoItems}'/></iq>`);
    expect(items.getChild('query')!.getChildren('item').map((i) => i.attrs.jid)).toEqual(expect.arrayContaining(['gw.localhost', 'upload.localhost']));
  });

  it('answers an unknown name with host-unknown and a wrong secret with not-authorized', async () => {
    gw = await start();
    const unknown = connect();
    unknown.socket.send(open('nope.localhost'));
    await unknown.socket.until(/<host-unknown /);
    expect(unknown.socket.output).not.toMatch(/from='nope/);
    const wrong = await handshake('not-the-secret-at-all');
    await wrong.socket.until(/<not-authorized /);
    expect(wrong.conn.ready).toBe(false);
    expect(gw.core.components.isHeldHere('gw.localhost')).toBe(false);
    const ns = connect();
    ns.socket.send(open('gw.localhost', 'jabber:client'));
    await ns.socket.until(/<invalid-namespace /);
  });

  it('refuses a stanza before the handshake, a second connection (conflict) and a forged from (invalid-from)', async () => {
    gw = await start();
    const early = connect();
    early.socket.send(open());
    await early.socket.until(/id='/);
    early.socket.send(`<message from='gw.localhost' to='alice@localhost'/>`);
    await early.socket.until(/<not-authorized /);
    const first = await handshake();
    await first.socket.until(/<handshake\/>/);
    const second = await handshake();
    await second.socket.until(/<conflict /);
    expect(first.conn.ready).toBe(true);
    const alice = await gw.online('alice', 'desk');
    first.socket.send(`<message from='mallory@localhost' to='alice@localhost/desk' id='forged'><body>x</body></message>`);
    await first.socket.until(/<invalid-from /);
    await settle();
    expect(await alice.drain((s) => s.attrs.id === 'forged')).toEqual([]);
    // once gone, its name is free again and the stanzas for it bounce
    expect(gw.core.components.isHeldHere('gw.localhost')).toBe(false);
    await alice.send(`<message to='gw.localhost' type='chat' id='m3'><body>hi</body></message>`);
    const err = await alice.next((s) => s.attrs.id === 'm3');
    expect(err.attrs.type).toBe('error');
    expect(err.getChild('error')!.getChild('service-unavailable', NS.stanzas)).toBeDefined();
    const failed = gw.bus.sent<EventEnvelope<GatewayDeliveryFailedV1>>(GatewayEvents.deliveryFailed).map((e) => e.data);
    expect(failed).toEqual(expect.arrayContaining([expect.objectContaining({ from: 'alice@localhost', to: 'gw.localhost', reason: 'service-unavailable', detail: 'component-offline' })]));
    const again = await handshake();
    await again.socket.until(/<handshake\/>/);
  });

  it('ends a stanza without a to address with improper-addressing', async () => {
    gw = await start();
    const c = await handshake();
    await c.socket.until(/<handshake\/>/);
    c.socket.send(`<message from='gw.localhost'><body>x</body></message>`);
    await c.socket.until(/<improper-addressing /);
  });

  it('routes presence for a component JID to the component', async () => {
    gw = await start();
    const c = await handshake();
    await c.socket.until(/<handshake\/>/);
    const alice = await gw.online('alice', 'desk');
    await alice.send(`<presence to='gw.localhost' type='subscribe'/>`);
    const p = await c.socket.until(/<presence[^>]*type=["']subscribe["'][^>]*\/>/);
    expect(p[0]).toMatch(/to=["']gw\.localhost["']/);
  });
});

describe('component configuration', () => {
  it('reads labels and full subdomains, and refuses bad names, short secrets and duplicates without showing secrets', () => {
    const m = parseComponents(['icq:0123456789abcdef', 'irc.example.org:fedcba9876543210x'], 'example.org');
    expect([...m.keys()]).toEqual(['icq.example.org', 'irc.example.org']);
    expect(m.get('icq.example.org')).toBe('0123456789abcdef');
    const bad = () => parseComponents(['other.org:0123456789abcdef', 'short:tiny-secret', 'icq:0123456789abcdef', 'icq.example.org:0123456789abcdef'], 'example.org');
    expect(bad).toThrow(/component 1 \(other\.org\): the name must be a subdomain/);
    expect(bad).toThrow(/component 2 \(short\): the secret must have at least 16/);
    expect(bad).toThrow(/component 4 \(icq\.example\.org\): configured twice/);
    try {
      bad();
    } catch (e) {
      expect((e as Error).message).not.toMatch(/tiny-secret|0123456789abcdef/);
    }
  });

  it('refuses to start with a component that the gateway hosts itself', async () => {
    await expect(TestGateway.start({ modules: [uploadModule], env: { COMPONENTS: `upload:${SECRET}` } })).rejects.toThrow(/upload\.localhost is a component the gateway hosts itself/);
  });
});
