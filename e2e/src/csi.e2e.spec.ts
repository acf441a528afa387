// End-to-end: XEP-0352 client state indication holds presence for inactive clients.
import { connectClient, GatewayProcess, rawLogin, RawXmpp, registerInBand, TestClient, xml } from '@parley/testing-xmpp';
import { E2EStack, startStack } from './stack';

const PASSWORD = 'correct horse battery';

describe('client state indication (XEP-0352), end to end', () => {
  let stack: E2EStack;
  let gw: GatewayProcess;
  let bob: RawXmpp;
  let alice: TestClient;

  beforeAll(async () => {
    stack = await startStack('csi');
    gw = await stack.startGateway();
    for (const u of ['alicE', 'bOb']) expect(await registerInBand(gw.starttlsPort, u, PASSWORD)).toMatch(/type=.result./);
    bob = await rawLogin(gw.starttlsPort, 'bob', PASSWORD, 'phone');
    alice = await connectClient({ port: gw.starttlsPort, username: 'alice', password: PASSWORD, resource: 'desk' });
  });

  afterAll(async () => {
    bob?.close();
    await alice?.stop();
    await stack?.stop();
  });

  it('holds presence while inactive and sends it, in order, before the next message', async () => {
    // the ping's answer (never held) proves <inactive/> was handled: the stream takes them in order
    bob.send(`<presence/><inactive xmlns='urn:xmpp:csi:0'/><iq type='get' id='csi-sync' to='localhost'><ping xmlns='urn:xmpp:ping'/></iq>`);
    await bob.expect(/<presence[^>]*from=.bob@localhost\/phone./); // own presence, before going inactive
    await bob.expect(/id=.csi-sync./);
    bob.received = '';
    await alice.send(xml('presence', { to: 'bob@localhost/phone' }, xml('show', {}, 'away')));
    await alice.send(xml('message', { to: 'bob@localhost/phone', type: 'chat', id: 'typing' }, xml('composing', { xmlns: 'http://jabber.org/protocol/chatstates' })));
    // a round trip through the server proves both were processed, yet bob got nothing
    await alice.iq(xml('iq', { type: 'get', to: 'localhost' }, xml('ping', { xmlns: 'urn:xmpp:ping' })));
    expect(bob.received).toBe('');
    await alice.send(xml('message', { to: 'bob@localhost/phone', type: 'chat', id: 'words' }, xml('body', {}, 'wake up')));
    const m = await bob.expect(/<presence[\s\S]*id=.typing.[\s\S]*id=.words./);
    expect(m.index).toBeGreaterThanOrEqual(0);
  });

  it('sends what was held when the client becomes active', async () => {
    bob.received = '';
    await alice.send(xml('presence', { to: 'bob@localhost/phone' }, xml('show', {}, 'dnd')));
    await alice.iq(xml('iq', { type: 'get', to: 'localhost' }, xml('ping', { xmlns: 'urn:xmpp:ping' })));
    expect(bob.received).toBe('');
    bob.send(`<active xmlns='urn:xmpp:csi:0'/>`);
    await bob.expect(/<show>dnd<\/show>/);
  });
});
