// End-to-end: XMPP over WebSocket (RFC 7395) with a real client, talking to a TCP user.
import { WebSocket } from 'ws';
import { connectClient, GatewayProcess, registerInBand, TestClient, xml } from '@parley/testing-xmpp';
import { E2EStack, startStack } from './stack';

const PASSWORD = 'correct horse battery';

describe('XMPP over WebSocket (RFC 7395), end to end', () => {
  let stack: E2EStack;
  let gw: GatewayProcess;
  const clients: TestClient[] = [];

  beforeAll(async () => {
    stack = await startStack('ws');
    gw = await stack.startGateway();
    for (const u of ['alicE', 'bOb']) expect(await registerInBand(gw.starttlsPort, u, PASSWORD)).toMatch(/type=.result./);
  });

  afterAll(async () => {
    await Promise.all(clients.map((c) => c.stop()));
    await stack?.stop();
  });

  it('logs in over wss and chats with a user connected over TCP', async () => {
    const web = await connectClient({ port: 0, webSocketUrl: `wss://127.0.0.1:${gw.webSocketPort}/xmpp-websocket`, username: 'alice', password: PASSWORD, resource: 'browser' });
    const tcp = await connectClient({ port: gw.starttlsPort, username: 'bob', password: PASSWORD, resource: 'desk' });
    clients.push(web, tcp);
    expect(web.jid).toBe('alice@localhost/browser');
    await web.send(xml('message', { to: 'bob@localhost/desk', type: 'chat', id: 'w1' }, xml('body', {}, 'from the web')));
    expect((await tcp.waitFor((s) => s.attrs.id === 'w1')).attrs.from).toBe('alice@localhost/browser');
    await tcp.send(xml('message', { to: 'alice@localhost/browser', type: 'chat', id: 't1' }, xml('body', {}, 'from tcp')));
    expect((await web.waitFor((s) => s.attrs.id === 't1')).getChildText('body')).toBe('from tcp');
  });

  it('refuses a connection without the xmpp subprotocol', async () => {
    const code = await new Promise<number>((resolve) => {
      const ws = new WebSocket(`wss://127.0.0.1:${gw.webSocketPort}/xmpp-websocket`, { rejectUnauthorized: false });
      ws.on('close', (c) => resolve(c));
      ws.on('error', () => resolve(-1));
    });
    expect(code).not.toBe(1000);
  });

  it('answers malformed XML with a stream error and closes', async () => {
    const ws = new WebSocket(`wss://127.0.0.1:${gw.webSocketPort}/xmpp-websocket`, ['xmpp'], { rejectUnauthorized: false });
    const frames: string[] = [];
    ws.on('message', (d) => frames.push(d.toString()));
    await new Promise((r) => ws.once('open', r));
    ws.send(`<open xmlns='urn:ietf:params:xml:ns:xmpp-framing' to='localhost' version='1.0'/>`);
    ws.send(`<message><body>broken</message>`);
    const closed = await new Promise<number>((r) => ws.once('close', (c) => r(c)));
    expect(frames[0]).toMatch(/^<open xmlns='urn:ietf:params:xml:ns:xmpp-framing' id='[^']+' from='localhost' version='1.0' xml:lang='en'\/>$/);
    expect(frames.join('')).toMatch(/<stream:error xmlns:stream='http:\/\/etherx.jabber.org\/streams'><not-well-formed/);
    expect(frames[frames.length - 1]).toBe(`<close xmlns='urn:ietf:params:xml:ns:xmpp-framing'/>`);
    expect(closed).toBe(1000);
  });
});
