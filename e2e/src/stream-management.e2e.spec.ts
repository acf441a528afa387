// End-to-end: XEP-0198 stream management on a real gateway, over raw sockets (so
// every <r/>, <a/> and <resume/> is under the test's control).
import { waitFor } from '@parley/testing-stack';
import { connectClient, GatewayProcess, rawLogin, RawXmpp, registerInBand, TestClient, xml } from '@parley/testing-xmpp';
import { E2EStack, startStack } from './stack';

const PASSWORD = 'correct horse battery';
const SM = "xmlns='urn:xmpp:sm:3'";

describe('stream management (XEP-0198), end to end', () => {
  let stack: E2EStack;
  let gw: GatewayProcess;
  const clients: TestClient[] = [];
  const raws: RawXmpp[] = [];

  const raw = async (user: string, resource: string) => {
    const r = await rawLogin(gw.starttlsPort, user, PASSWORD, resource);
    raws.push(r);
    return r;
  };

  beforeAll(async () => {
    stack = await startStack('sm');
    // messages for a session waiting for resumption go through offline storage (durable)
    await stack.startService('offline');
    gw = await stack.startGateway({ SM_RESUME_TIMEOUT: '3s' });
    for (const u of ['alicE', 'bOb']) expect(await registerInBand(gw.starttlsPort, u, PASSWORD)).toMatch(/type=.result./);
  });

  afterEach(async () => {
    await Promise.all(clients.splice(0).map((c) => c.stop()));
    for (const r of raws.splice(0)) r.close();
  });

  afterAll(async () => {
    await stack?.stop();
  });

  it('advertises stream management after authentication only', async () => {
    const r = await RawXmpp.connect(gw.starttlsPort);
    raws.push(r);
    r.open();
    const pre = (await r.expect(/<stream:features>[\s\S]*?<\/stream:features>/))[0];
    expect(pre).not.toMatch(/urn:xmpp:sm:3/);
    const c = await connectClient({ port: gw.starttlsPort, username: 'alice', password: PASSWORD, presence: false });
    clients.push(c);
    // @xmpp/client enables stream management when offered
    await waitFor(() => (c.xmpp as unknown as { streamManagement: { enabled: boolean } }).streamManagement.enabled, { what: 'SM enabled by the client' });
  });

  it('enables, counts stanzas both ways and answers <r/> with the right h', async () => {
    const b = await raw('bob', 'sm1');
    b.send(`<enable ${SM}/>`);
    await b.expect(/<enabled xmlns=.urn:xmpp:sm:3./);
    b.send(`<iq type='get' id='p1' to='localhost'><ping xmlns='urn:xmpp:ping'/></iq><iq type='get' id='p2' to='localhost'><ping xmlns='urn:xmpp:ping'/></iq><r ${SM}/>`);
    await b.expect(/<a xmlns=.urn:xmpp:sm:3. h=.2.\/>/);
    // the two results count as two stanzas sent to us
    b.send(`<a ${SM} h='2'/>`);
    b.send(`<iq type='get' id='p3' to='localhost'><ping xmlns='urn:xmpp:ping'/></iq>`);
    await b.expect(/id=.p3./);
    // acknowledging more than was sent ends the stream (XEP-0198 §4)
    b.send(`<a ${SM} h='99'/>`);
    await b.expect(/<undefined-condition xmlns=.urn:ietf:params:xml:ns:xmpp-streams.\/>.*<handled-count-too-high xmlns=.urn:xmpp:sm:3. h=.99. send-count=.3./);
    await b.expectClosed();
  });

  it('resumes a dropped session and re-sends what was not acknowledged', async () => {
    const b = await raw('bob', 'phone');
    b.send(`<enable ${SM} resume='true'/><presence/>`);
    const id = (await b.expect(/<enabled xmlns=.urn:xmpp:sm:3. id=.([^'"]+). resume=.true./))[1];
    const alice = await connectClient({ port: gw.starttlsPort, username: 'alice', password: PASSWORD });
    clients.push(alice);
    await alice.send(xml('message', { to: 'bob@localhost/phone', type: 'chat', id: 'before-drop' }, xml('body', {}, 'one')));
    await b.expect(/id=.before-drop./);
    b.socket.destroy(); // no closing handshake: the session waits
    await alice.send(xml('message', { to: 'bob@localhost/phone', type: 'chat', id: 'while-away' }, xml('body', {}, 'two')));
    const again = await raw('bob', ''); // authenticated, not bound
    again.send(`<resume ${SM} previd='${id}' h='0'/>`);
    await again.expect(/<resumed xmlns=.urn:xmpp:sm:3. previd=.[^'"]+. h=.1.\/>/);
    await again.expect(/id=.before-drop.[\s\S]*id=.while-away./);
    // and it is the same session: messages keep flowing to it
    await alice.send(xml('message', { to: 'bob@localhost/phone', type: 'chat', id: 'after' }, xml('body', {}, 'three')));
    await again.expect(/id=.after./);
  });

  it('refuses to resume an unknown or foreign session', async () => {
    const a = await raw('alice', '');
    a.send(`<resume ${SM} previd='nope' h='0'/>`);
    await a.expect(/<failed xmlns=.urn:xmpp:sm:3.><item-not-found/);
  });

  it('routes unacknowledged messages again when a session is not resumed in time', async () => {
    const other = await connectClient({ port: gw.starttlsPort, username: 'bob', password: PASSWORD, resource: 'desk' });
    clients.push(other);
    const b = await raw('bob', 'laptop');
    b.send(`<enable ${SM} resume='true'/><presence/>`);
    await b.expect(/<enabled/);
    const alice = await connectClient({ port: gw.starttlsPort, username: 'alice', password: PASSWORD });
    clients.push(alice);
    await alice.send(xml('message', { to: 'bob@localhost/laptop', type: 'chat', id: 'unacked' }, xml('body', {}, 'did you get this?')));
    await b.expect(/id=.unacked./);
    b.socket.destroy();
    // after SM_RESUME_TIMEOUT (3 s) the message goes to bob's bare JID: the desk resource
    const got = await other.waitFor((s) => s.is('message') && s.attrs.id === 'unacked', 'the re-routed message', 20_000);
    expect(got.getChildText('body')).toBe('did you get this?');
    await waitFor(async () => {
      const probe = await raw('bob', '');
      probe.send(`<resume ${SM} previd='x' h='0'/>`);
      await probe.expect(/<failed/);
      return true;
    });
  });

  it('resumes on another gateway: the session moves there with what was not acknowledged, and keeps receiving', async () => {
    const gw2 = await stack.startGateway({ SM_RESUME_TIMEOUT: '30s' });
    try {
      const b = await raw('bob', 'tablet'); // on the first gateway
      b.send(`<enable ${SM} resume='true'/><presence/>`);
      const id = (await b.expect(/<enabled xmlns=.urn:xmpp:sm:3. id=.([^'"]+). resume=.true./))[1];
      const alice = await connectClient({ port: gw.starttlsPort, username: 'alice', password: PASSWORD });
      clients.push(alice);
      await alice.send(xml('message', { to: 'bob@localhost/tablet', type: 'chat', id: 'x-before' }, xml('body', {}, 'one')));
      await b.expect(/id=.x-before./);
      const handled = (b.received.match(/<(message|presence|iq)[\s>]/g) ?? []).length; // everything bob got so far, x-before included
      b.socket.destroy(); // no closing handshake: the session waits on the first gateway
      await alice.send(xml('message', { to: 'bob@localhost/tablet', type: 'chat', id: 'x-away' }, xml('body', {}, 'two')));
      await alice.iq(xml('iq', { type: 'get', to: 'localhost' }, xml('ping', { xmlns: 'urn:xmpp:ping' })));
      // the client reconnects through the load balancer and lands on the other gateway
      const again = await rawLogin(gw2.starttlsPort, 'bob', PASSWORD, '');
      raws.push(again);
      again.send(`<resume ${SM} previd='${id}' h='${handled}'/>`);
      await again.expect(/<resumed xmlns=.urn:xmpp:sm:3. previd=.[^'"]+. h=.1.\/>/, 15_000);
      await again.expect(/id=.x-away./);
      expect(again.received).not.toMatch(/id=.x-before./); // acknowledged by h
      // the same session, now on the second gateway: alice (on the first) still reaches it
      await alice.send(xml('message', { to: 'bob@localhost/tablet', type: 'chat', id: 'x-after' }, xml('body', {}, 'three')));
      await again.expect(/id=.x-after./, 15_000);
      // nobody was told bob went away
      expect(alice.received.filter((s) => s.is('presence') && s.attrs.type === 'unavailable' && s.attrs.from === 'bob@localhost/tablet')).toEqual([]);
    } finally {
      await gw2.stop();
    }
  });
});
