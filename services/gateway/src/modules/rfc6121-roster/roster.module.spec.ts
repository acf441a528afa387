import { envelope, RosterEvents, RosterGetResult, RosterItemUpdatedV1, RosterLoginResult, RosterLoginsQuery, RosterLoginsResult, RosterPresenceCommand, RosterPresenceResult, RosterSubjects } from '@parley/contracts';
import { NS } from '@parley/stanza';
import { settle, TestGateway } from '../../testing/test-gateway';
import { presenceModule } from '../rfc6121-presence/presence.module';
import { blockingModule } from '../xep-0191-blocking/blocking.module';
import { rosterModule } from './roster.module';

const bobItem = { jid: 'bob@localhost', groups: ['Friends'], subscription: 'both' as const, name: 'Bob' };
const login = (user: string, over: Partial<RosterLoginResult> = {}): RosterLoginResult => ({
  ver: '1',
  items: user === 'alice@localhost' ? [bobItem] : [{ jid: 'alice@localhost', groups: [], subscription: 'both' }],
  probe: [user === 'alice@localhost' ? 'bob@localhost' : 'alice@localhost'],
  broadcast: [],
  pendingIn: [],
  blocked: [],
  ...over,
});

describe('RFC 6121 roster (in process, roster service faked on the bus)', () => {
  let gw: TestGateway;
  beforeEach(async () => {
    gw = await TestGateway.start({ modules: [presenceModule, blockingModule, rosterModule] });
    gw.bus.answer(RosterSubjects.login, ({ user }: { user: string }) => login(user));
  });
  afterEach(() => gw.stop());

  it('answers a roster get from the roster service, and pushes later changes to resources that asked', async () => {
    gw.bus.answer<unknown, RosterGetResult>(RosterSubjects.get, () => ({ kind: 'full', ver: '3', items: [bobItem] }));
    const asked = await gw.login('alicE', 'desk');
    const quiet = await gw.login('alice', 'phone');
    const res = await asked.iq(`<iq type='get'><query xmlns='${NS.roster}'/></iq>`);
    const q = res.getChild('query', NS.roster)!;
    expect(q.attrs.ver).toBe('3');
    expect(q.getChildren('item').map((i) => [i.attrs.jid, i.attrs.name, i.attrs.subscription, i.getChildText('group')])).toEqual([['bob@localhost', 'Bob', 'both', 'Friends']]);
    const change: RosterItemUpdatedV1 = { user: 'alice@localhost', item: { jid: 'carol@localhost', groups: [], subscription: 'none' }, ver: '4', cause: 'set' };
    await gw.bus.publishEvent(envelope(RosterEvents.itemUpdated, change));
    const push = await asked.next((s) => s.attrs.type === 'set');
    expect(push.getChild('query', NS.roster)!.attrs.ver).toBe('4');
    expect(push.getChild('query', NS.roster)!.getChild('item')!.attrs.jid).toBe('carol@localhost');
    expect(await quiet.drain()).toEqual([]); // never asked for the roster (§2.1.6)
  });

  it('probes contacts at initial presence and sends presence to subscribers', async () => {
    const bob = await gw.online('bob', 'phone', `<presence><status>here</status></presence>`);
    await bob.drain();
    const a = await gw.online('alice', 'desk');
    // bob (a subscriber) gets alice's presence; alice's probe of bob is answered with bob's presence
    expect((await bob.drain((s) => s.name === 'presence')).map((p) => p.attrs.from)).toEqual(['alice@localhost/desk']);
    const fromBob = await a.next((s) => s.name === 'presence' && s.attrs.from === 'bob@localhost/phone');
    expect(fromBob.getChildText('status')).toBe('here');
  });

  it('asks for the login answers of sessions coming online together in one roster.qry.logins', async () => {
    const asked: string[][] = [];
    gw.bus.answer<RosterLoginsQuery, RosterLoginsResult>(RosterSubjects.logins, ({ users }) => {
      asked.push(users);
      return { results: users.map((u) => login(u)) };
    });
    const single = jest.fn((q: { user: string }) => login(q.user));
    gw.bus.answer(RosterSubjects.login, single);
    const [a, b] = [await gw.login('alice', 'desk'), await gw.login('bob', 'phone')];
    await Promise.all([a.send('<presence/>'), b.send('<presence/>')]);
    await settle();
    expect(asked).toEqual([['alice@localhost', 'bob@localhost']]);
    expect(single).not.toHaveBeenCalled();
    // each got its own answer: alice probed bob (bob answers with his presence), and bob probed alice
    await a.next((s) => s.name === 'presence' && s.attrs.from === 'bob@localhost/phone');
    await b.next((s) => s.name === 'presence' && s.attrs.from === 'alice@localhost/desk');
  });

  it('routes an outbound subscription request as the roster service decides, stamped with the bare JID', async () => {
    const asked: RosterPresenceCommand[] = [];
    gw.bus.answer<RosterPresenceCommand, RosterPresenceResult>(RosterSubjects.presence, (c) => {
      asked.push(c);
      return { deliver: true, contact: c.contact, changed: true, ver: '2' };
    });
    const carol = await gw.online('carol', 'pad');
    await carol.drain();
    const a = await gw.online('alice', 'desk');
    await a.send(`<presence type='subscribe' to='Carol@localhost'/>`);
    await settle();
    expect(asked.map((c) => [c.user, c.contact, c.type, c.direction])).toEqual([
      ['alice@localhost', 'carol@localhost', 'subscribe', 'outbound'],
      ['carol@localhost', 'alice@localhost', 'subscribe', 'inbound'],
    ]);
    const req = await carol.next((s) => s.attrs.type === 'subscribe');
    expect(req.attrs).toMatchObject({ from: 'alice@localhost', to: 'carol@localhost' });
  });

  it('answers a subscription request with an error while the roster service is down', async () => {
    gw.bus.down(RosterSubjects.login);
    const a = await gw.online('alice', 'desk');
    await a.send(`<presence type='subscribe' to='carol@localhost' id='s1'/>`);
    const err = await a.next((s) => s.attrs.id === 's1');
    expect(err.attrs.type).toBe('error');
    // the one mapping of a bus failure (host/service-errors.ts): the service is down, try later
    expect(err.getChild('error')!.getChild('service-unavailable', NS.stanzas)).toBeDefined();
    expect(err.getChild('error')!.attrs.type).toBe('wait');
  });

  it('delivers an approval carried by the push event to interested resources, before the push', async () => {
    gw.bus.answer<unknown, RosterGetResult>(RosterSubjects.get, () => ({ kind: 'full', ver: '3', items: [] }));
    const asked = await gw.online('alice', 'desk');
    await asked.iq(`<iq type='get'><query xmlns='${NS.roster}'/></iq>`);
    const quiet = await gw.online('alice', 'phone');
    await Promise.all([asked.drain(), quiet.drain()]);
    const change: RosterItemUpdatedV1 = {
      user: 'alice@localhost',
      item: { jid: 'bob@localhost', groups: [], subscription: 'to' },
      ver: '4',
      cause: 'subscription',
      presence: `<presence from='bob@localhost' to='alice@localhost' type='subscribed' id='ok1'><x xmlns='urn:example:kept'/></presence>`,
    };
    await gw.bus.publishEvent(envelope(RosterEvents.itemUpdated, change));
    const order = await asked.drain((s) => (s.name === 'presence' && s.attrs.type === 'subscribed') || (s.name === 'iq' && s.attrs.type === 'set'));
    expect(order.map((s) => s.name)).toEqual(['presence', 'iq']);
    expect(order[0].attrs).toMatchObject({ from: 'bob@localhost', to: 'alice@localhost', id: 'ok1' });
    expect(order[0].getChild('x', 'urn:example:kept')).toBeDefined(); // whole, as it arrived
    expect(order[1].getChild('query', NS.roster)!.getChild('item')!.attrs).toMatchObject({ jid: 'bob@localhost', subscription: 'to' });
    expect(await quiet.drain()).toEqual([]); // available, but never asked for the roster
  });

  it('delivers a request carried alone to available resources only, and refuses a carried stanza that is no subscription', async () => {
    const available = await gw.online('alice', 'desk');
    const bound = await gw.login('alice', 'phone'); // no initial presence: not available
    await Promise.all([available.drain(), bound.drain()]);
    await gw.bus.publishEvent(
      envelope(RosterEvents.subscriptionPresence, { user: 'alice@localhost', to: 'available', presence: `<presence from='bob@localhost/x' to='alice@localhost' type='subscribe'><nick xmlns='http://jabber.org/protocol/nick'>Bob</nick></presence>` }),
    );
    const req = await available.next((s) => s.name === 'presence' && s.attrs.type === 'subscribe');
    expect(req.attrs).toMatchObject({ from: 'bob@localhost', to: 'alice@localhost' });
    expect(req.getChildText('nick', 'http://jabber.org/protocol/nick')).toBe('Bob');
    await gw.bus.publishEvent(envelope(RosterEvents.subscriptionPresence, { user: 'alice@localhost', to: 'available', presence: `<message from='bob@localhost'><body>not a presence</body></message>` }));
    await settle();
    expect(await available.drain()).toEqual([]);
    expect(await bound.drain()).toEqual([]);
  });
});
