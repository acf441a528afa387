// End-to-end: a real transport. Debian's biboumi (XMPP↔IRC gateway, an external component,
// XEP-0114) attached to a real gateway as irc.localhost, Debian's ngircd behind it as the
// one IRC server (fixed_irc_server), a real XMPP client, and a raw IRC client on a real
// socket in the same channel. Without biboumi or ngircd this suite fails (never skips):
// scripts/ensure-transport.sh installs them.
import { randomBytes } from 'node:crypto';
import { waitFor } from '@parley/testing-stack';
import { GatewayProcess, TestClient, xml } from '@parley/testing-xmpp';
import { BiboumiProcess, connectIrc, IrcClient, IrcLine, NgircdProcess, nickOf, startBiboumi, startNgircd } from './biboumi';
import { freePort } from '@parley/testing-peers';
import { E2EStack, e2eUsers, startStack } from './stack';

const PASSWORD = 'correct horse battery';
const SECRET = randomBytes(18).toString('hex');
const TRANSPORT = 'irc.localhost';
const WAIT = 20_000;
const DISCO_INFO = 'http://jabber.org/protocol/disco#info';
const DISCO_ITEMS = 'http://jabber.org/protocol/disco#items';
const MUC = 'http://jabber.org/protocol/muc';
const MUC_USER = 'http://jabber.org/protocol/muc#user';

describe('a real transport: biboumi (XMPP↔IRC) with ngircd, end to end', () => {
  let stack: E2EStack;
  let gw: GatewayProcess;
  let ngircd: NgircdProcess;
  let biboumi: BiboumiProcess;
  /** The gateway's environment: the component and a fixed component port, so that a restarted gateway is where biboumi looks. */
  let gwEnv: Record<string, string>;
  const ircs: IrcClient[] = [];

  const { clients, accounts, login } = e2eUsers(PASSWORD, () => gw.starttlsPort);
  const irc = async (nick: string) => {
    const c = await connectIrc(ngircd.host, ngircd.port, nick);
    ircs.push(c);
    return c;
  };
  /** An IRC client in `channel` (JOIN answered with the end of the names list). */
  const ircIn = async (nick: string, channel: string) => {
    const c = await irc(nick);
    c.send(`JOIN ${channel}`);
    await c.waitFor((l) => l.command === '366' && l.params[1]?.toLowerCase() === channel, `end of NAMES for ${channel}`);
    return c;
  };
  const room = (channel: string) => `${channel}@${TRANSPORT}`;
  const statusCodes = (s: ReturnType<typeof xml>) =>
    (s.getChild('x', MUC_USER)?.getChildren('status') ?? []).map((c) => c.attrs.code);
  /** Joins `channel` through the transport as `nick` (XEP-0045 §7.2) and waits for the new self-presence (status 110). */
  const join = async (c: TestClient, channel: string, nick: string) => {
    const seen = c.received.length;
    await c.send(xml('presence', { to: `${room(channel)}/${nick}` }, xml('x', { xmlns: MUC })));
    return c.waitFor((s) => c.received.indexOf(s) >= seen && s.is('presence') && s.attrs.from === `${room(channel)}/${nick}` && !s.attrs.type && statusCodes(s).includes('110'), `self-presence in ${channel}`, WAIT);
  };
  const from = (l: IrcLine, nick: string) => nickOf(l.prefix).toLowerCase() === nick.toLowerCase();
  const componentLogs = (msg: string) => gw.logs.filter((l) => l.includes(`"msg":"${msg}"`) && l.includes(TRANSPORT)).length;

  beforeAll(async () => {
    stack = await startStack('transport-irc');
    await stack.startService('roster');
    gwEnv = { COMPONENTS: `irc:${SECRET}`, COMPONENT_PORT: String(await freePort('127.0.0.1')) };
    gw = await stack.startGateway(gwEnv);
    ngircd = await startNgircd();
    biboumi = await startBiboumi({ hostname: TRANSPORT, secret: SECRET, componentPort: gw.componentPort!, ircServer: ngircd.host });
  });

  afterEach(async () => {
    await Promise.all(clients.splice(0).map((c) => c.stop()));
    await Promise.all(ircs.splice(0).map((c) => c.quit()));
  });

  afterAll(async () => {
    await biboumi?.dispose();
    await ngircd?.dispose();
    await stack?.stop();
  });

  it('is listed in the server disco#items and answers disco#info as an IRC gateway', async () => {
    const [alice] = await accounts('alice');
    const a = await login(gw, alice);
    const items = await a.iq(xml('iq', { type: 'get', to: 'localhost' }, xml('query', { xmlns: DISCO_ITEMS })), WAIT);
    expect(items.getChildren('item').map((i) => i.attrs.jid)).toContain(TRANSPORT);
    const info = await a.iq(xml('iq', { type: 'get', to: TRANSPORT }, xml('query', { xmlns: DISCO_INFO })), WAIT);
    expect(info.getChildren('identity').map((i) => `${i.attrs.category}/${i.attrs.type}`)).toContain('conference/irc');
    expect(info.getChildren('feature').map((f) => f.attrs.var)).toContain(MUC);
    // the secret never reaches the gateway's logs
    expect(gw.logs.some((l) => l.includes(SECRET))).toBe(false);
  });

  it('joins an IRC channel as a MUC room, exchanges messages both ways with an IRC user, and leaves', async () => {
    const channel = '#parley';
    const pal = await ircIn('ircpal', channel);
    const [bob] = await accounts('bob');
    const b = await login(gw, bob);
    const nick = 'xbob';

    const self = await join(b, channel, nick);
    expect(self.getChild('x', MUC_USER)!.getChild('item')).toBeDefined();
    // the IRC user is an occupant, and sees the XMPP user join the channel
    await b.waitFor((s) => s.is('presence') && s.attrs.from === `${room(channel)}/ircpal` && !s.attrs.type, 'the IRC user in the room', WAIT);
    await pal.waitFor((l) => l.command === 'JOIN' && from(l, nick) && l.params[0]?.toLowerCase() === channel, 'JOIN of the XMPP user');

    // IRC → XMPP: a groupchat message from the IRC user's occupant JID
    pal.send(`PRIVMSG ${channel} :hello from IRC`);
    const got = await b.waitFor((s) => s.is('message') && s.attrs.type === 'groupchat' && s.getChildText('body') === 'hello from IRC', 'groupchat message from IRC', WAIT);
    expect(got.attrs.from).toBe(`${room(channel)}/ircpal`);
    expect(got.attrs.to).toBe(b.jid);

    // XMPP → IRC: the user's groupchat message is a PRIVMSG to the channel, from the user's nick
    await b.send(xml('message', { to: room(channel), type: 'groupchat', id: 'g1' }, xml('body', {}, 'hello from XMPP')));
    const privmsg = await pal.waitFor((l) => l.command === 'PRIVMSG' && l.params[1] === 'hello from XMPP', 'PRIVMSG from the XMPP user');
    expect(nickOf(privmsg.prefix)).toBe(nick);
    expect(privmsg.params[0].toLowerCase()).toBe(channel);
    // and the room reflects it to its sender (XEP-0045 §7.4)
    await b.waitFor((s) => s.is('message') && s.attrs.type === 'groupchat' && s.attrs.from === `${room(channel)}/${nick}` && s.getChildText('body') === 'hello from XMPP', 'reflected message', WAIT);

    // a private message from IRC reaches the user as a chat message from the IRC user's JID at the transport
    pal.send(`PRIVMSG ${nick} :just you`);
    const pm = await b.waitFor((s) => s.is('message') && s.getChildText('body') === 'just you', 'private message from IRC', WAIT);
    expect(pm.attrs).toMatchObject({ from: `ircpal@${TRANSPORT}`, type: 'chat' });

    // leaving: unavailable presence, answered with the self-presence of exit; IRC sees the PART (or QUIT, the last channel)
    await b.send(xml('presence', { to: `${room(channel)}/${nick}`, type: 'unavailable' }));
    await b.waitFor((s) => s.is('presence') && s.attrs.from === `${room(channel)}/${nick}` && s.attrs.type === 'unavailable', 'exit self-presence', WAIT);
    await pal.waitFor((l) => (l.command === 'PART' || l.command === 'QUIT') && from(l, nick), 'PART of the XMPP user');
  });

  it('bounces stanzas while biboumi is gone (service-unavailable), and works again once it is back', async () => {
    const channel = '#outage';
    const pal = await ircIn('ircwatch', channel);
    const [carol] = await accounts('carol');
    const c = await login(gw, carol);
    const nick = 'xcarol';
    await join(c, channel, nick);
    await pal.waitFor((l) => l.command === 'JOIN' && from(l, nick), 'JOIN of the XMPP user');

    const detachedBefore = componentLogs('component disconnected');
    await biboumi.stop({ kill: true });
    // its IRC connection drops with it, and the gateway lets go of the component
    await pal.waitFor((l) => l.command === 'QUIT' && from(l, nick), 'QUIT of the XMPP user');
    await waitFor(() => componentLogs('component disconnected') > detachedBefore, { what: 'the gateway detaching the component', timeoutMs: WAIT });

    await expect(c.iqStanza(xml('iq', { type: 'get', to: TRANSPORT }, xml('query', { xmlns: DISCO_INFO })), WAIT)).rejects.toMatchObject({ condition: 'service-unavailable' });
    await c.send(xml('message', { to: room(channel), type: 'groupchat', id: 'lost1' }, xml('body', {}, 'anyone?')));
    const bounce = await c.waitFor((s) => s.is('message') && s.attrs.id === 'lost1' && s.attrs.type === 'error', 'bounced groupchat message', WAIT);
    expect(bounce.attrs.from).toBe(room(channel));
    expect(bounce.getChild('error')!.getChild('service-unavailable', 'urn:ietf:params:xml:ns:xmpp-stanzas')).toBeDefined();
    expect(pal.lines.some((l) => l.command === 'PRIVMSG' && l.params[1] === 'anyone?')).toBe(false);

    // back: same configuration and database
    await biboumi.restart();
    const info = await c.iq(xml('iq', { type: 'get', to: TRANSPORT }, xml('query', { xmlns: DISCO_INFO })), WAIT);
    expect(info.getChildren('identity').map((i) => i.attrs.category)).toContain('conference');
    await join(c, channel, nick);
    await c.send(xml('message', { to: room(channel), type: 'groupchat', id: 'back1' }, xml('body', {}, 'back again')));
    await pal.waitFor((l) => l.command === 'PRIVMSG' && from(l, nick) && l.params[1] === 'back again', 'PRIVMSG after the restart');

    // a user who just disconnects leaves the channel too: the server sends the room the
    // session's unavailable presence (RFC 6121 §4.6.3, directed presence)
    await c.stop();
    await pal.waitFor((l) => (l.command === 'PART' || l.command === 'QUIT') && from(l, nick) && pal.lines.indexOf(l) > pal.lines.findIndex((j) => j.command === 'PRIVMSG' && j.params[1] === 'back again'), 'the XMPP user leaving with the session');
  });

  it('reconnects by itself when its gateway restarts on the same component port', async () => {
    const channel = '#restart';
    const pal = await ircIn('ircstay', channel);
    const closedBefore = biboumi.logs.filter((l) => l.includes('XMPP server closed connection')).length;
    await gw.stop(); // graceful: the component stream ends with the gateway
    await waitFor(() => biboumi.logs.filter((l) => l.includes('XMPP server closed connection')).length > closedBefore, { what: 'biboumi noticing the closed stream', timeoutMs: WAIT });
    gw = await stack.startGateway(gwEnv);
    // biboumi retries the component port every 2 s, and the new gateway accepts its claim
    await waitFor(() => componentLogs('component connected') > 0, { what: 'biboumi connected to the new gateway', timeoutMs: WAIT });

    const [dana] = await accounts('dana');
    const d = await login(gw, dana);
    const nick = 'xdana';
    await join(d, channel, nick);
    await d.send(xml('message', { to: room(channel), type: 'groupchat', id: 'r1' }, xml('body', {}, 'after the gateway restart')));
    await pal.waitFor((l) => l.command === 'PRIVMSG' && from(l, nick) && l.params[1] === 'after the gateway restart', 'PRIVMSG through the new gateway');
    pal.send(`PRIVMSG ${channel} :welcome back`);
    await d.waitFor((s) => s.is('message') && s.attrs.type === 'groupchat' && s.attrs.from === `${room(channel)}/ircstay` && s.getChildText('body') === 'welcome back', 'groupchat message through the new gateway', WAIT);
  });
});
