import { AccountDeletedV1, EventEnvelope, GatewayDeliveryFailedV1, GatewayEvents, GatewaySubjects, GatewaySweepResult } from '@parley/contracts';
import { BusReplyError } from '@parley/nats';
import { NS } from '@parley/stanza';
import { blockingModule } from '../modules/xep-0191-blocking/blocking.module';
import { registerModule } from '../modules/xep-0077-register/register.module';
import { offlineModule } from '../modules/xep-0160-offline/offline.module';
import { presenceModule } from '../modules/rfc6121-presence/presence.module';
import { settle, TestGateway } from '../testing/test-gateway';

describe('account commands on the bus (in process)', () => {
  let gw: TestGateway;
  afterEach(() => gw?.stop());

  const deleted = () => gw.bus.sent<EventEnvelope<AccountDeletedV1>>(GatewayEvents.accountDeleted).map((e) => e.data);

  it('refuses an inactivity deletion while the user has a session anywhere, and deletes once none is open', async () => {
    gw = await TestGateway.start({ modules: [] });
    const bob = await gw.login('bob', 'phone');
    expect(await gw.bus.request(GatewaySubjects.deleteAccount, { jid: 'bob@localhost', reason: 'inactivity' })).toEqual({ deleted: false, online: true });
    expect(await gw.store.exists('bob')).toBe(true);
    bob.close();
    // a session on another gateway instance counts too
    gw.core.directory.put('bob@localhost', { resource: 'tablet', instanceId: 'gw-other', priority: 0, available: true, carbons: false });
    expect(await gw.bus.request(GatewaySubjects.deleteAccount, { jid: 'bob@localhost', reason: 'inactivity' })).toEqual({ deleted: false, online: true });
    gw.core.directory.remove('bob@localhost', 'tablet', 'gw-other');

    expect(await gw.bus.request(GatewaySubjects.deleteAccount, { jid: 'bob@localhost', reason: 'inactivity' })).toEqual({ deleted: true });
    expect(await gw.store.exists('bob')).toBe(false);
    expect(deleted()).toEqual([{ jid: 'bob@localhost', reason: 'inactivity' }]);
    expect(gw.store.tombstones.has('bob')).toBe(true);
    // unknown now: not deleted, not online
    expect(await gw.bus.request(GatewaySubjects.deleteAccount, { jid: 'bob@localhost', reason: 'inactivity' })).toEqual({ deleted: false });
  });

  it('counts who is online in the deployment, and ends a user\'s sessions on request (operators)', async () => {
    gw = await TestGateway.start({ modules: [] });
    const bob = await gw.login('bob', 'phone');
    await gw.login('bob', 'desk');
    await gw.login('carol', 'pad');
    gw.core.directory.put('dave@localhost', { resource: 'x', instanceId: 'gw-other', priority: 0, available: true, carbons: false });
    expect(await gw.bus.request(GatewaySubjects.online, {})).toEqual({ users: 3, sessions: 4 });
    expect(await gw.bus.request(GatewaySubjects.endSessions, { jid: 'bob@localhost' })).toEqual({ ended: 2 });
    await settle();
    expect(bob.closedWith).toBeDefined();
    expect(gw.core.directory.resources('bob@localhost')).toEqual([]);
    expect(await gw.store.exists('bob')).toBe(true); // the account stays
    expect(await gw.bus.request(GatewaySubjects.endSessions, { jid: 'nobody@localhost' })).toEqual({ ended: 0 });
    await expect(gw.bus.request(GatewaySubjects.endSessions, { jid: 'x@elsewhere' })).rejects.toBeInstanceOf(BusReplyError);
  });

  it('deletes for an admin and ends the user’s sessions here and on other instances', async () => {
    gw = await TestGateway.start({ modules: [] });
    const carol = await gw.login('carol', 'desk');
    gw.core.directory.put('carol@localhost', { resource: 'far', instanceId: 'gw-other', priority: 0, available: true, carbons: false });
    const kicks: unknown[] = [];
    gw.cluster.kickRemote = (...a: unknown[]) => void kicks.push(a);
    expect(await gw.bus.request(GatewaySubjects.deleteAccount, { jid: 'Carol@LocalHost', reason: 'admin' })).toEqual({ deleted: true });
    expect(carol.closedWith).toMatchObject({ condition: 'not-authorized' });
    expect(kicks).toEqual([['gw-other', 'carol@localhost/far', 'removed']]);
    expect(deleted()).toEqual([{ jid: 'carol@localhost', reason: 'admin' }]);
  });

  it('answers malformed commands with bad-request and never crashes', async () => {
    gw = await TestGateway.start({ modules: [] });
    await gw.accounts('dave');
    for (const bad of [null, 'x', {}, { jid: 'dave@localhost' }, { jid: 'dave@localhost', reason: 'spite' }, { jid: 42, reason: 'admin' }, { jid: 'dave@elsewhere', reason: 'admin' }, { jid: 'dave@localhost/r', reason: 'admin' }, { jid: 'localhost', reason: 'admin' }]) {
      await expect(gw.bus.request(GatewaySubjects.deleteAccount, bad)).rejects.toMatchObject({ error: { condition: 'bad-request' } });
    }
    for (const bad of [{}, { to: 'dave@localhost' }, { to: 'dave@localhost', body: '' }, { to: 'dave@localhost', body: 'x', subject: 5 }, { to: '@@', body: 'x' }]) {
      await expect(gw.bus.request(GatewaySubjects.serverNotice, bad)).rejects.toBeInstanceOf(BusReplyError);
    }
    expect(await gw.store.exists('dave')).toBe(true);
  });

  it('routes a server notice from the domain like any message', async () => {
    gw = await TestGateway.start({ modules: [] });
    const erin = await gw.online('erin', 'desk');
    erin.session.available = true;
    gw.core.sessions.update(erin.session);
    expect(await gw.bus.request(GatewaySubjects.serverNotice, { to: 'erin@localhost', subject: 'Your account', body: 'will be deleted' })).toEqual({ routed: true });
    const m = await erin.next((s) => s.name === 'message');
    expect(m.attrs).toMatchObject({ from: 'localhost', to: 'erin@localhost', type: 'normal' });
    expect(m.getChildText('subject')).toBe('Your account');
    expect(m.getChildText('body')).toBe('will be deleted');
    expect(await gw.bus.request(GatewaySubjects.serverNotice, { to: 'nobody@localhost', body: 'x' })).toEqual({ routed: false });
  });

  it('stores a server notice for a user who is offline, like any message', async () => {
    await gw.stop();
    gw = await TestGateway.start({ modules: [presenceModule, offlineModule] });
    await gw.accounts('olga');
    expect(await gw.bus.request(GatewaySubjects.serverNotice, { to: 'olga@localhost', body: 'your account will be deleted' })).toEqual({ routed: true });
    const stored = gw.bus.handOffs();
    expect(stored).toEqual([expect.objectContaining({ to: 'olga@localhost', from: 'localhost', type: 'normal' })]);
    expect(stored[0].stanza).toContain('your account will be deleted');
  });

  it('publishes a deletion made while the bus is down once it is back (the outbox)', async () => {
    gw = await TestGateway.start({ modules: [] });
    await gw.accounts('frank');
    gw.bus.eventsDown = true;
    expect(await gw.bus.request(GatewaySubjects.deleteAccount, { jid: 'frank@localhost', reason: 'admin' })).toEqual({ deleted: true });
    expect(deleted()).toEqual([]);
    expect(gw.store.outbox).toHaveLength(1);
    gw.bus.eventsDown = false;
    await gw.core.outbox.tryFlush(); // what the timer and reconnects do
    expect(deleted()).toEqual([{ jid: 'frank@localhost', reason: 'admin' }]);
  });

  it('refuses a tombstoned username in band with conflict, and sweeps expired tombstones on request', async () => {
    gw = await TestGateway.start({ modules: [registerModule], env: { USERNAME_TOMBSTONE: '1h' } });
    const grace = await gw.login('grace', 'desk');
    const r = await grace.iq(`<iq type='set'><query xmlns='jabber:iq:register'><remove/></query></iq>`);
    expect(r.attrs.type).toBe('result');
    expect(deleted()).toEqual([{ jid: 'grace@localhost', reason: 'user' }]);
    await expect(gw.core.accounts.register('grace', 'a long password', 'in-band')).rejects.toThrow(/deleted recently/);
    let sweep = await gw.bus.request<GatewaySweepResult>(GatewaySubjects.sweep, {});
    expect(sweep).toMatchObject({ tombstonesDeleted: 0, cutoff: expect.any(String), oldestRemaining: expect.any(String) });
    gw.store.tombstones.set('grace', new Date(Date.now() - 2 * 3600_000));
    sweep = await gw.bus.request<GatewaySweepResult>(GatewaySubjects.sweep, {});
    expect(sweep).toEqual({ tombstonesDeleted: 1, cutoff: expect.any(String) });
    await gw.core.accounts.register('grace', 'a long password', 'in-band');
  });
});

describe('the delivery-error log (in process)', () => {
  let gw: TestGateway;
  afterEach(() => gw?.stop());
  const failures = () => gw.bus.sent<EventEnvelope<GatewayDeliveryFailedV1>>(GatewayEvents.deliveryFailed).map((e) => e.data);

  it('publishes each router bounce with bare addresses, kind, condition and rule, and no content', async () => {
    gw = await TestGateway.start({ modules: [] });
    const alice = await gw.login('alice', 'desk');
    await alice.send(`<message to='nobody@localhost/x' type='chat' id='m1'><subject>secret subject</subject><body>secret body</body></message>`);
    await alice.next((s) => s.attrs.id === 'm1' && s.attrs.type === 'error');
    expect(failures()).toEqual([{ from: 'alice@localhost', to: 'nobody@localhost', kind: 'message', reason: 'service-unavailable', detail: 'unknown-user', at: expect.any(String) }]);
    const published = JSON.stringify(gw.bus.published.filter((p) => p.subject === GatewayEvents.deliveryFailed));
    expect(published).not.toMatch(/secret|desk|192\.0\.2/);

    await gw.accounts('bob');
    const iq = await alice.iq(`<iq type='get' to='bob@localhost/gone' id='q1'><query xmlns='jabber:iq:version'/></iq>`);
    expect(iq.getChild('error')!.getChild('service-unavailable', NS.stanzas)).toBeDefined();
    await alice.send(`<message to='elsewhere.example/r' id='m2'><body>x</body></message>`);
    await settle();
    expect(failures().slice(1)).toEqual([
      { from: 'alice@localhost', to: 'bob@localhost', kind: 'iq', reason: 'service-unavailable', detail: 'resource-gone', at: expect.any(String) },
      { from: 'alice@localhost', to: 'elsewhere.example', kind: 'message', reason: 'remote-server-not-found', detail: 'remote-domain', at: expect.any(String) },
    ]);
    // an error is never answered nor logged again; a malformed address names nobody
    await alice.send(`<message to='nobody@localhost' type='error' id='m3'/>`);
    await alice.send(`<message to='@@' id='m4'><body>x</body></message>`);
    await settle();
    expect(failures()).toHaveLength(3);
  });

  it('names the rule of a module’s bounce (blocked)', async () => {
    gw = await TestGateway.start({ modules: [blockingModule] });
    gw.bus.answer('roster.qry.blocklist', () => ({ blocked: ['alice@localhost'] }));
    await gw.accounts('bob');
    const alice = await gw.login('alice', 'desk');
    const bob = await gw.online('bob', 'phone');
    bob.session.available = true;
    gw.core.sessions.update(bob.session);
    await alice.send(`<message to='bob@localhost' type='chat' id='b1'><body>hi</body></message>`);
    await alice.next((s) => s.attrs.id === 'b1' && s.attrs.type === 'error');
    expect(failures()).toEqual([{ from: 'alice@localhost', to: 'bob@localhost', kind: 'message', reason: 'service-unavailable', detail: 'blocked', at: expect.any(String) }]);
  });
});
