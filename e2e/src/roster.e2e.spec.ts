// End-to-end: rosters, subscriptions and roster-driven presence (RFC 6121) with the
// real roster service, two real gateways and real clients.
import { waitFor } from '@parley/testing-stack';
import { GatewayProcess, RawXmpp, rawLogin as rawLoginAs, TestClient, xml } from '@parley/testing-xmpp';
import { befriend, E2EStack, e2eUsers, startStack } from './stack';

const PASSWORD = 'correct horse battery';
const ROSTER = 'jabber:iq:roster';
const WAIT = 20_000;

type Stanza = Awaited<ReturnType<TestClient['waitFor']>>;

describe('rosters and subscriptions, end to end', () => {
  let stack: E2EStack;
  let gw1: GatewayProcess;
  let gw2: GatewayProcess;

  const { clients, accounts, jid, login } = e2eUsers(PASSWORD, () => gw1.starttlsPort);


  /** Waits for a stanza received from now on. */
  const next = (c: TestClient, pred: (s: Stanza) => boolean, what: string) => {
    const from = c.received.length;
    return () => c.waitFor((s) => c.received.indexOf(s) >= from && pred(s), what, WAIT);
  };
  const rosterGet = (c: TestClient, ver?: string) => c.iqStanza(xml('iq', { type: 'get' }, xml('query', { xmlns: ROSTER, ...(ver !== undefined ? { ver } : {}) })), WAIT);
  const rosterSet = (c: TestClient, item: Record<string, string>, groups: string[] = []) =>
    c.iq(xml('iq', { type: 'set' }, xml('query', { xmlns: ROSTER }, xml('item', item, ...groups.map((g) => xml('group', {}, g))))), WAIT);
  const isPush = (s: Stanza, contact: string, pred: (item: Stanza) => boolean = () => true) => {
    const item = s.is('iq') && s.attrs.type === 'set' ? s.getChild('query', ROSTER)?.getChild('item') : undefined;
    return !!item && item.attrs.jid === contact && pred(item);
  };
  const push = (c: TestClient, contact: string, pred: (item: Stanza) => boolean = () => true, what = `push for ${contact}`) =>
    c.waitFor((s) => isPush(s, contact, pred), what, WAIT);
  const presenceFrom = (c: TestClient, from: string, type?: string, what = `${type ?? 'available'} presence from ${from}`) =>
    c.waitFor((s) => s.is('presence') && s.attrs.from === from && s.attrs.type === type, what, WAIT);
  const subscriptionOf = (sub: string, ask?: string) => (i: Stanza) => i.attrs.subscription === sub && i.attrs.ask === ask;


  beforeAll(async () => {
    stack = await startStack('roster');
    await stack.startService('roster');
    gw1 = await stack.startGateway();
    gw2 = await stack.startGateway();
  });

  afterEach(async () => {
    await Promise.all(clients.splice(0).map((c) => c.stop()));
  });

  afterAll(async () => {
    await stack?.stop();
  });

  it('advertises roster versioning and pre-approval after authentication', async () => {
    const [alice] = await accounts('alicE');
    const raw = await rawLogin(gw1.starttlsPort, alice, 'features', true);
    const features = raw.received;
    raw.close();
    expect(features).toMatch(/<ver xmlns="urn:xmpp:features:rosterver"\/>/);
    expect(features).toMatch(/<sub xmlns="urn:xmpp:features:pre-approval"\/>/);
  });

  it('stores roster sets and pushes them to every interested resource on both gateways', async () => {
    const [alice, bob] = await accounts('alicE', 'bOb');
    const a1 = await login(gw1, alice, { resource: 'one' });
    const a2 = await login(gw2, alice, { resource: 'two' });
    const quiet = await login(gw1, alice, { resource: 'quiet' }); // never asks for the roster
    const empty = await rosterGet(a1, '');
    expect(empty.getChild('query', ROSTER)?.getChildren('item')).toEqual([]);
    await rosterGet(a2);
    await rosterSet(a1, { jid: bob.toUpperCase() + '@LOCALHOST', name: 'Bobby' }, ['Friends', 'Work']);
    for (const c of [a1, a2]) {
      const p = await push(c, jid(bob));
      const item = p.getChild('query')!.getChild('item')!;
      expect(p.getChild('query')!.attrs.ver).toMatch(/^\d+$/);
      expect(item.attrs).toMatchObject({ jid: jid(bob), name: 'Bobby', subscription: 'none' });
      expect(item.getChildren('group').map((g) => g.text())).toEqual(['Friends', 'Work']);
    }
    // the push to `quiet` would have been written before this answer, on the same gateway as a1
    await quiet.iq(xml('iq', { type: 'get', to: 'localhost' }, xml('ping', { xmlns: 'urn:xmpp:ping' })));
    expect(quiet.received.some((s) => isPush(s, jid(bob)))).toBe(false);
    const full = await rosterGet(quiet);
    expect(full.getChild('query')!.getChildren('item').map((i) => i.attrs)).toEqual([{ jid: jid(bob), name: 'Bobby', subscription: 'none' }]);
  });

  it('answers a versioned roster get with nothing when unchanged and with pushes when changed', async () => {
    const [alice, bob, carol] = await accounts('alicE', 'bOb', 'carol');
    const a = await login(gw1, alice);
    const first = await rosterGet(a, '');
    const v0 = first.getChild('query')!.attrs.ver;
    expect(v0).toMatch(/^\d+$/);
    await rosterSet(a, { jid: jid(bob) });
    const v1 = (await push(a, jid(bob))).getChild('query')!.attrs.ver;
    const same = await rosterGet(a, v1);
    expect(same.attrs.type).toBe('result');
    expect(same.getChild('query')).toBeUndefined(); // RFC 6121 §2.6.3: empty result
    await rosterSet(a, { jid: jid(carol), name: 'C' });
    const v2 = (await push(a, jid(carol))).getChild('query')!.attrs.ver;
    expect(Number(v2)).toBeGreaterThan(Number(v1));
    // a new session that cached version v1 gets an empty result, then only the change since
    const b = await login(gw2, alice, { resource: 'cached' });
    const res = await rosterGet(b, v1);
    expect(res.getChild('query')).toBeUndefined();
    const p = await push(b, jid(carol));
    expect(p.getChild('query')!.attrs.ver).toBe(v2);
    expect(b.received.some((s) => isPush(s, jid(bob)))).toBe(false);
    // an unknown version gets the whole roster
    const whole = await rosterGet(b, 'not-a-version');
    expect(whole.getChild('query')!.getChildren('item').map((i) => i.attrs.jid).sort()).toEqual([jid(bob), jid(carol)]);
    expect(whole.getChild('query')!.attrs.ver).toBe(v2);
  });

  it('refuses bad roster sets and gets with the RFC 6121 errors', async () => {
    const [alice, bob] = await accounts('alicE', 'bOb');
    const a = await login(gw1, alice);
    const two = xml('iq', { type: 'set' }, xml('query', { xmlns: ROSTER }, xml('item', { jid: jid(bob) }), xml('item', { jid: 'x@localhost' })));
    await expect(a.iq(two, WAIT)).rejects.toThrow(/bad-request/);
    await expect(rosterSet(a, { jid: 'not@valid@jid' })).rejects.toThrow(/jid-malformed/);
    await expect(rosterSet(a, { jid: jid(bob), name: 'n'.repeat(2000) })).rejects.toThrow(/not-acceptable/);
    await expect(rosterSet(a, { jid: jid(bob) }, ['dup', 'dup'])).rejects.toThrow(/bad-request/);
    await expect(rosterSet(a, { jid: 'nobody@localhost', subscription: 'remove' })).rejects.toThrow(/item-not-found/);
    await expect(a.iq(xml('iq', { type: 'get', to: jid(bob) }, xml('query', { xmlns: ROSTER })), WAIT)).rejects.toThrow(/forbidden/);
  });

  it('subscribes, approves and ends with a mutual subscription across gateways (A.2.1, A.3.1, A.2.3, A.3.3)', async () => {
    const [alice, bob] = await accounts('alicE', 'bOb');
    const a = await login(gw1, alice, { resource: 'a' });
    const b = await login(gw2, bob, { resource: 'b' });
    await Promise.all([rosterGet(a), rosterGet(b)]);

    await a.send(xml('presence', { to: bob.toUpperCase() + '@localhost', type: 'subscribe' }, xml('status', {}, 'hi, it is alice')));
    const request = await b.waitFor((s) => s.is('presence') && s.attrs.type === 'subscribe', 'subscription request', WAIT);
    expect(request.attrs.from).toBe(jid(alice)); // RFC 6121 §3.1.2: from the bare JID
    expect(request.getChildText('status')).toBe('hi, it is alice');
    await push(a, jid(bob), subscriptionOf('none', 'subscribe'), 'pending out');

    await b.send(xml('presence', { to: jid(alice), type: 'subscribed' }));
    await push(a, jid(bob), subscriptionOf('to'), "alice's subscription to bob");
    await push(b, jid(alice), subscriptionOf('from'), "bob's subscriber alice");
    await presenceFrom(a, jid(bob), 'subscribed');
    await presenceFrom(a, `${jid(bob)}/b`); // §3.1.5: bob's current presence follows the approval

    await b.send(xml('presence', { to: jid(alice), type: 'subscribe' }));
    await a.waitFor((s) => s.is('presence') && s.attrs.type === 'subscribe' && s.attrs.from === jid(bob), 'request back', WAIT);
    await a.send(xml('presence', { to: jid(bob), type: 'subscribed' }));
    await push(a, jid(bob), subscriptionOf('both'), 'both for alice');
    await push(b, jid(alice), subscriptionOf('both'), 'both for bob');
    await presenceFrom(b, `${jid(alice)}/a`);

    // broadcast presence now reaches the subscriber on the other gateway
    const status = next(a, (s) => s.is('presence') && s.attrs.from === `${jid(bob)}/b` && s.getChildText('status') === 'at lunch', 'status update');
    await b.send(xml('presence', {}, xml('show', {}, 'away'), xml('status', {}, 'at lunch')));
    await status();

    // A.3.1 "Both": bob's server answers a repeated request itself (its 'subscribed' changes
    // nothing for alice, A.3.3, so only bob's current presence shows) and bob is not asked again
    const requestsToBob = b.received.filter((s) => s.is('presence') && s.attrs.type === 'subscribe').length;
    const current = next(a, (s) => s.is('presence') && s.attrs.from === `${jid(bob)}/b` && !s.attrs.type, "bob's presence again");
    await a.send(xml('presence', { to: jid(bob), type: 'subscribe' }));
    await current();
    expect(b.received.filter((s) => s.is('presence') && s.attrs.type === 'subscribe').length).toBe(requestsToBob);
  });

  it('ends a subscription with unsubscribe: pushes on both sides and unavailable presence (A.2.2, A.3.2)', async () => {
    const [alice, bob] = await accounts('alicE', 'bOb');
    const a = await login(gw1, alice, { resource: 'a' });
    const b = await login(gw2, bob, { resource: 'b' });
    await befriend(a, b);
    await Promise.all([rosterGet(a), rosterGet(b)]);
    const gone = next(a, (s) => s.is('presence') && s.attrs.from === `${jid(bob)}/b` && s.attrs.type === 'unavailable', 'unavailable from bob');
    await a.send(xml('presence', { to: jid(bob), type: 'unsubscribe' }));
    await push(a, jid(bob), subscriptionOf('from'));
    await push(b, jid(alice), subscriptionOf('to'));
    await presenceFrom(b, jid(alice), 'unsubscribe');
    await gone();
  });

  it('cancels a subscription and denies a request with unsubscribed (A.2.4, A.3.4)', async () => {
    const [alice, bob, carol] = await accounts('alicE', 'bOb', 'carol');
    const a = await login(gw1, alice, { resource: 'a' });
    const b = await login(gw2, bob, { resource: 'b' });
    const c = await login(gw2, carol, { resource: 'c' });
    await befriend(a, b);
    await Promise.all([rosterGet(a), rosterGet(b), rosterGet(c)]);
    // bob cancels alice's subscription to him
    const gone = next(a, (s) => s.is('presence') && s.attrs.from === `${jid(bob)}/b` && s.attrs.type === 'unavailable', 'unavailable from bob');
    await b.send(xml('presence', { to: jid(alice), type: 'unsubscribed' }));
    await push(b, jid(alice), subscriptionOf('to'));
    await push(a, jid(bob), subscriptionOf('from'));
    await presenceFrom(a, jid(bob), 'unsubscribed');
    await gone();
    // carol denies alice's request
    await a.send(xml('presence', { to: jid(carol), type: 'subscribe' }));
    await push(a, jid(carol), subscriptionOf('none', 'subscribe'));
    await presenceFrom(c, jid(alice), 'subscribe');
    await c.send(xml('presence', { to: jid(alice), type: 'unsubscribed' }));
    await push(a, jid(carol), subscriptionOf('none'), 'request denied');
    await presenceFrom(a, jid(carol), 'unsubscribed');
  });

  it('auto-approves a pre-approved request without asking the contact (§3.4)', async () => {
    const [alice, bob] = await accounts('alicE', 'bOb');
    const a = await login(gw1, alice, { resource: 'a' });
    const b = await login(gw2, bob, { resource: 'b' });
    await Promise.all([rosterGet(a), rosterGet(b)]);
    await b.send(xml('presence', { to: jid(alice), type: 'subscribed' }));
    await push(b, jid(alice), (i) => i.attrs.approved === 'true' && i.attrs.subscription === 'none', 'pre-approval');
    await a.send(xml('presence', { to: jid(bob), type: 'subscribe' }));
    await push(a, jid(bob), subscriptionOf('to'));
    await push(b, jid(alice), (i) => i.attrs.subscription === 'from' && i.attrs.approved === undefined, 'approved subscriber');
    await presenceFrom(a, jid(bob), 'subscribed');
    await presenceFrom(a, `${jid(bob)}/b`);
    expect(b.received.some((s) => s.is('presence') && s.attrs.type === 'subscribe')).toBe(false);
  });

  it('keeps a request to an offline user and delivers it, with its status, at each login until answered (§3.1.3)', async () => {
    const [alice, dave] = await accounts('alicE', 'dAve');
    const a = await login(gw1, alice);
    await rosterGet(a);
    await a.send(xml('presence', { to: jid(dave), type: 'subscribe' }, xml('status', {}, 'remember me?')));
    await push(a, jid(dave), subscriptionOf('none', 'subscribe'));
    const first = await login(gw1, dave, { resource: 'first' });
    await first.waitFor((s) => s.is('presence') && s.attrs.type === 'subscribe' && s.attrs.from === jid(alice), 'kept request', WAIT);
    await first.stop(); // not answered: it comes again
    const d = await login(gw2, dave, { resource: 'later' });
    const req = await d.waitFor((s) => s.is('presence') && s.attrs.type === 'subscribe', 'kept request again', WAIT);
    expect(req.attrs.from).toBe(jid(alice));
    expect(req.getChildText('status')).toBe('remember me?');
    await d.send(xml('presence', { to: jid(alice), type: 'subscribed' }));
    await push(a, jid(dave), subscriptionOf('to'));
    await d.stop();
    // answered: not delivered again (pending requests are sent before the roster result)
    const again = await login(gw1, dave, { resource: 'again' });
    await rosterGet(again);
    expect(again.received.some((s) => s.is('presence') && s.attrs.type === 'subscribe')).toBe(false);
  });

  it("probes at login: a contact's presence on the other gateway and the user's own other resources (§4.2, §4.3)", async () => {
    const [alice, bob] = await accounts('alicE', 'bOb');
    const a = await login(gw1, alice, { resource: 'a' });
    const b = await login(gw2, bob, { resource: 'b' });
    await befriend(a, b);
    await b.send(xml('presence', {}, xml('status', {}, 'reading')));
    await a.waitFor((s) => s.is('presence') && s.attrs.from === `${jid(bob)}/b` && s.getChildText('status') === 'reading', 'status', WAIT);
    const late = await login(gw1, alice, { resource: 'late' });
    const probed = await presenceFrom(late, `${jid(bob)}/b`);
    expect(probed.getChildText('status')).toBe('reading');
    await presenceFrom(late, `${jid(alice)}/a`);
    // and bob's other resource learns of the new one through the broadcast
    await presenceFrom(b, `${jid(alice)}/late`);
  });

  it('sends unavailable to subscribers when a connection drops without closing its stream', async () => {
    const [alice, bob] = await accounts('alicE', 'bOb');
    const a = await login(gw1, alice, { resource: 'a' });
    const b = await login(gw2, bob, { resource: 'b' });
    await befriend(a, b);
    const raw = await rawLogin(gw2.starttlsPort, bob, 'raw');
    raw.send('<presence/>');
    await presenceFrom(a, `${jid(bob)}/raw`);
    raw.close(); // the TCP connection just goes away
    await presenceFrom(a, `${jid(bob)}/raw`, 'unavailable');
  });

  it('removing a contact pushes the removal and sends unsubscribe, unsubscribed and unavailable (§2.5.2)', async () => {
    const [alice, bob] = await accounts('alicE', 'bOb');
    const a = await login(gw1, alice, { resource: 'a' });
    const b = await login(gw2, bob, { resource: 'b' });
    await befriend(a, b);
    await Promise.all([rosterGet(a), rosterGet(b)]);
    await rosterSet(a, { jid: jid(bob), subscription: 'remove' });
    await push(a, jid(bob), (i) => i.attrs.subscription === 'remove');
    await presenceFrom(b, jid(alice), 'unsubscribe');
    await presenceFrom(b, jid(alice), 'unsubscribed');
    await presenceFrom(b, `${jid(alice)}/a`, 'unavailable');
    await push(b, jid(alice), subscriptionOf('none'));
  });

  it("removes a deleted account from its contacts' rosters, with a push and unavailable presence", async () => {
    const [erin, frank] = await accounts('erIn', 'frank');
    const e = await login(gw1, erin, { resource: 'e' });
    const f = await login(gw2, frank, { resource: 'f' });
    await befriend(e, f);
    await rosterGet(f);
    await e.iq(xml('iq', { type: 'set' }, xml('query', { xmlns: 'jabber:iq:register' }, xml('remove'))), WAIT);
    await presenceFrom(f, `${jid(erin)}/e`, 'unavailable');
    await push(f, jid(erin), (i) => i.attrs.subscription === 'remove', 'contact-deleted push');
    const r = await rosterGet(f);
    expect(r.getChild('query')!.getChildren('item')).toEqual([]);
  });

  it('survives the roster service going away: fast errors, logins still work, nothing lost after a restart', async () => {
    const [alice, bob] = await accounts('alicE', 'bOb');
    const a = await login(gw1, alice, { resource: 'a' });
    const b = await login(gw2, bob, { resource: 'b' });
    await befriend(a, b);
    await rosterSet(a, { jid: jid(bob), name: 'Bob' });

    await stack.services.get('roster')!.stop();
    const started = Date.now();
    await expect(rosterGet(a)).rejects.toThrow(/service-unavailable/);
    expect(Date.now() - started).toBeLessThan(5000);
    const c = await login(gw2, alice, { resource: 'while-down' }); // login without a roster
    await c.send(xml('message', { to: `${jid(bob)}/b`, type: 'chat', id: 'down' }, xml('body', {}, 'still here')));
    await b.waitFor((s) => s.is('message') && s.attrs.id === 'down', 'chat while the roster is down', WAIT);

    await stack.startService('roster');
    await waitFor(async () => (await rosterGet(a).catch(() => undefined))?.attrs.type === 'result', { what: 'roster back', timeoutMs: WAIT });
    const r = await rosterGet(a);
    expect(r.getChild('query')!.getChildren('item').map((i) => i.attrs)).toEqual([{ jid: jid(bob), name: 'Bob', subscription: 'both' }]);
    // subscriptions still drive presence, and pushes still flow
    const again = await login(gw1, alice, { resource: 'after' });
    await presenceFrom(again, `${jid(bob)}/b`);
    await rosterGet(again);
    await rosterSet(a, { jid: jid(bob), name: 'Robert' });
    await push(again, jid(bob), (i) => i.attrs.name === 'Robert');
    // the session that logged in while the roster service was down catches up on its own (login retried with backoff)
    await b.waitFor((s) => s.is('presence') && s.attrs.from === `${jid(alice)}/while-down` && !s.attrs.type, 'late presence of the session that logged in during the outage', 60_000);
    await presenceFrom(c, `${jid(bob)}/b`);
  }, 150_000);
});

function rawLogin(port: number, username: string, resource: string, keep = false): Promise<RawXmpp> {
  return rawLoginAs(port, username, PASSWORD, resource, { keep });
}
