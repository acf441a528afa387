// End-to-end: XEP-0280 Message Carbons across two real gateway processes with real
// clients. Absence is checked behind a barrier: a later message that travels the same
// path (same sending gateway, same receiving connection) arrives after any copy would.
import { waitFor } from '@parley/testing-stack';
import { connectClient, GatewayProcess, registerInBand, TestClient, xml } from '@parley/testing-xmpp';
import { E2EStack, startStack } from './stack';

jest.setTimeout(180_000);

const PASSWORD = 'correct horse battery';
const NS_CARBONS = 'urn:xmpp:carbons:2';
const NS_FORWARD = 'urn:xmpp:forward:0';
type Ltx = TestClient['received'][number];

const alice = 'alice@localhost';
const bob = 'bob@localhost';

/** The message a carbon wraps, for `kind`, or undefined. */
const inner = (s: Ltx, kind: 'received' | 'sent') => s.getChild(kind, NS_CARBONS)?.getChild('forwarded', NS_FORWARD)?.getChild('message', 'jabber:client');
const isCarbon = (s: Ltx) => !!(s.getChild('received', NS_CARBONS) || s.getChild('sent', NS_CARBONS));
/** Carbons of `kind` a client received whose copied body is `body`. */
const carbonsOf = (c: TestClient, kind: 'received' | 'sent', body: string) => c.received.filter((s) => inner(s, kind)?.getChildText('body') === body);

let n = 0;
async function say(from: TestClient, to: string, body: string | undefined, extra: Ltx[] = [], type = 'chat'): Promise<string> {
  const id = `c${++n}`;
  await from.send(xml('message', { to, type, id }, body !== undefined ? xml('body', {}, body) : undefined, ...extra));
  return id;
}
const got = (c: TestClient, id: string) => c.waitFor((s) => s.is('message') && s.attrs.id === id, `message ${id}`, 20_000);

describe('message carbons (XEP-0280), end to end', () => {
  let stack: E2EStack;
  let gw1: GatewayProcess;
  let gw2: GatewayProcess;
  const clients: TestClient[] = [];

  const login = async (gw: GatewayProcess, username: string, resource: string, presence: boolean | number = true) => {
    const c = await connectClient({ port: gw.starttlsPort, username, password: PASSWORD, resource, presence });
    clients.push(c);
    return c;
  };
  const carbons = (c: TestClient, on: boolean) => c.iq(xml('iq', { type: 'set' }, xml(on ? 'enable' : 'disable', { xmlns: NS_CARBONS })));
  let tag = 0;
  /** Makes sure `watcher`'s gateway has seen `c`'s latest session state (carbons flag): `c`'s next presence follows it. */
  const seenBy = async (c: TestClient, watcher: TestClient, priority?: number) => {
    const status = `sync ${++tag}`;
    await c.send(xml('presence', {}, xml('status', {}, status), priority !== undefined ? xml('priority', {}, String(priority)) : undefined));
    await watcher.waitFor((s) => s.is('presence') && s.attrs.from === c.jid && s.getChildText('status') === status, 'presence barrier');
  };
  /** Waits until `c` got a message with this id, then asserts what it must not have received before it. */
  const barrier = async (from: TestClient, c: TestClient) => got(c, await say(from, c.jid, 'barrier'));

  beforeAll(async () => {
    stack = await startStack('carbons');
    gw1 = await stack.startGateway();
    gw2 = await stack.startGateway();
    for (const u of ['alicE', 'bOb']) expect(await registerInBand(gw1.starttlsPort, u, PASSWORD)).toMatch(/type=.result./);
  });

  afterEach(async () => {
    await Promise.all(clients.splice(0).map((c) => c.stop()));
  });

  afterAll(async () => {
    await stack?.stop();
  });

  /** alice on gw1 (desk, carbons; plain, no carbons), on gw2 (tablet, carbons); bob on gw1. */
  async function setup() {
    const desk = await login(gw1, 'alicE', 'desk');
    const plain = await login(gw1, 'alicE', 'plain');
    const tablet = await login(gw2, 'alicE', 'tablet');
    const b = await login(gw1, 'bOb', 'laptop');
    await carbons(desk, true);
    await carbons(tablet, true);
    await seenBy(tablet, desk);
    // gw1 routes to the tablet on gw2 once it knows of it
    await waitFor(async () => carbonsOf(tablet, 'received', 'warm-up').length > 0 || (await say(b, `${alice}/desk`, 'warm-up'), false), { intervalMs: 200 });
    return { desk, plain, tablet, b };
  }

  it('advertises carbons on the server and answers enable/disable repeatedly', async () => {
    const c = await login(gw1, 'alicE', 'disco', false);
    const info = await c.iq(xml('iq', { type: 'get', to: 'localhost' }, xml('query', { xmlns: 'http://jabber.org/protocol/disco#info' })));
    expect(info.getChildren('feature').map((f: Ltx) => f.attrs.var)).toContain(NS_CARBONS);
    for (const on of [true, true, false, false, true]) await carbons(c, on);
    await expect(c.iq(xml('iq', { type: 'set', to: bob }, xml('enable', { xmlns: NS_CARBONS })))).rejects.toThrow(/not-allowed/);
  });

  it('copies a message received on one resource to the carbon-enabled resources on the other gateway', async () => {
    const { desk, plain, tablet, b } = await setup();
    const id = await say(b, `${alice}/desk`, 'to the desk');
    await got(desk, id);
    const carbon = await tablet.waitFor((s) => inner(s, 'received')?.getChildText('body') === 'to the desk', 'received carbon');
    expect(carbon.attrs).toMatchObject({ from: alice, to: `${alice}/tablet`, type: 'chat' });
    expect(inner(carbon, 'received')!.attrs).toMatchObject({ from: `${bob}/laptop`, to: `${alice}/desk`, id });
    await barrier(b, plain);
    await barrier(b, desk);
    expect(carbonsOf(plain, 'received', 'to the desk')).toEqual([]); // carbons not enabled there
    expect(carbonsOf(desk, 'received', 'to the desk')).toEqual([]); // it got the original
  });

  it('copies a message to the bare JID only to carbon-enabled resources that did not get it', async () => {
    const { desk, tablet, b } = await setup();
    const away = await login(gw2, 'alicE', 'away', -1);
    await carbons(away, true);
    await seenBy(away, desk, -1);
    const id = await say(b, alice, 'to everyone');
    await got(desk, id);
    await got(tablet, id);
    const carbon = await away.waitFor((s) => inner(s, 'received')?.getChildText('body') === 'to everyone', 'carbon for the negative-priority resource');
    expect(inner(carbon, 'received')!.attrs).toMatchObject({ to: alice, id });
    await barrier(b, tablet);
    await barrier(b, desk);
    expect(carbonsOf(tablet, 'received', 'to everyone')).toEqual([]);
    expect(carbonsOf(desk, 'received', 'to everyone')).toEqual([]);
  });

  it('copies a message one resource sends to its other carbon-enabled resources, not back to it', async () => {
    const { desk, plain, tablet, b } = await setup();
    const id = await say(desk, bob, 'from the desk');
    const original = await got(b, id);
    expect(isCarbon(original)).toBe(false);
    const carbon = await tablet.waitFor((s) => inner(s, 'sent')?.getChildText('body') === 'from the desk', 'sent carbon');
    expect(carbon.attrs).toMatchObject({ from: alice, to: `${alice}/tablet`, type: 'chat' });
    expect(inner(carbon, 'sent')!.attrs).toMatchObject({ from: `${alice}/desk`, to: bob, id });
    await barrier(b, plain);
    await barrier(b, desk);
    expect(carbonsOf(plain, 'sent', 'from the desk')).toEqual([]);
    expect(carbonsOf(desk, 'sent', 'from the desk')).toEqual([]);
  });

  it('copies a message to oneself once: the addressed resource gets it, the others a sent carbon', async () => {
    const { desk, tablet } = await setup();
    const away = await login(gw2, 'alicE', 'away', -1);
    await carbons(away, true);
    await seenBy(away, desk, -1);
    const id = await say(desk, `${alice}/tablet`, 'note to self');
    const original = await got(tablet, id);
    expect(isCarbon(original)).toBe(false);
    await away.waitFor((s) => inner(s, 'sent')?.getChildText('body') === 'note to self', 'sent carbon');
    await barrier(desk, away);
    await barrier(desk, tablet);
    expect(carbonsOf(away, 'received', 'note to self')).toEqual([]);
    expect(carbonsOf(away, 'sent', 'note to self')).toHaveLength(1);
    expect(tablet.received.filter((s) => inner(s, 'sent')?.getChildText('body') === 'note to self' || inner(s, 'received')?.getChildText('body') === 'note to self')).toEqual([]);
    expect(desk.received.filter((s) => inner(s, 'received')?.getChildText('body') === 'note to self')).toEqual([]);
  });

  it('copies nothing marked <private/> or <no-copy/>, and removes <private/> before delivery', async () => {
    const { desk, tablet, b } = await setup();
    const priv = () => xml('private', { xmlns: NS_CARBONS });
    const noCopy = () => xml('no-copy', { xmlns: 'urn:xmpp:hints' });
    const out = await got(b, await say(desk, bob, 'private out', [priv()]));
    expect(out.getChild('private', NS_CARBONS)).toBeUndefined();
    const inn = await got(desk, await say(b, `${alice}/desk`, 'private in', [priv()]));
    expect(inn.getChild('private', NS_CARBONS)).toBeUndefined();
    await got(b, await say(desk, bob, 'no-copy out', [noCopy()]));
    const kept = await got(desk, await say(b, `${alice}/desk`, 'no-copy in', [noCopy()]));
    expect(kept.getChild('no-copy', 'urn:xmpp:hints')).toBeDefined();
    // ineligible: a normal message without a body, and a headline
    await say(desk, bob, undefined, [xml('x', { xmlns: 'urn:example:payload' })], 'normal');
    await got(desk, await say(b, `${alice}/desk`, 'headline', [], 'headline'));
    // barriers: eligible messages on the same paths are copied after any copy of the above
    await say(desk, bob, 'sent barrier');
    await tablet.waitFor((s) => inner(s, 'sent')?.getChildText('body') === 'sent barrier');
    await say(b, `${alice}/desk`, 'received barrier');
    await tablet.waitFor((s) => inner(s, 'received')?.getChildText('body') === 'received barrier');
    const copied = tablet.received.filter(isCarbon).map((s) => (inner(s, 'sent') ?? inner(s, 'received'))!.getChildText('body'));
    for (const body of ['private out', 'private in', 'no-copy out', 'no-copy in', 'headline', null]) expect(copied).not.toContain(body);
  });

  it('stops copying to a resource that disabled carbons, wherever the message is routed from', async () => {
    const { desk, tablet, b } = await setup();
    await carbons(tablet, false);
    await seenBy(tablet, desk);
    await got(desk, await say(b, `${alice}/desk`, 'after disable in'));
    await got(b, await say(desk, bob, 'after disable out'));
    await barrier(b, tablet);
    expect(carbonsOf(tablet, 'received', 'after disable in')).toEqual([]);
    expect(carbonsOf(tablet, 'sent', 'after disable out')).toEqual([]);
    // and again on: copies resume
    await carbons(tablet, true);
    await seenBy(tablet, desk);
    await got(desk, await say(b, `${alice}/desk`, 'on again'));
    await tablet.waitFor((s) => inner(s, 'received')?.getChildText('body') === 'on again');
  });
});
