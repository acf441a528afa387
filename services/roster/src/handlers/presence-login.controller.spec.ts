// The roster's presence and login controllers through Nest's testing module, on the
// in-memory store: RFC 6121 subscription flows as the gateway drives them, no NATS, no Postgres.
import { Test } from '@nestjs/testing';
import { RosterEvents, RosterLoginQuery, RosterLoginResult, RosterPresenceCommand, RosterPresenceResult } from '@parley/contracts';
import { ReplyException } from '@parley/nats';
import { callWithPayloadPipes } from '@parley/testing-service';
import { loadRosterConfig } from '../config/config';
import { InMemoryRosterStore } from '../store/in-memory-roster.store';
import { ROSTER_STORE } from '../store/roster.store';
import { LoginHandler } from './login.handler';
import { PresenceHandler } from './presence.handler';
import { ROSTER_CONFIG } from './tokens';

describe('roster presence and login controllers (in-memory store)', () => {
  let store: InMemoryRosterStore;
  let presence: PresenceHandler;
  let login: LoginHandler;

  beforeEach(async () => {
    store = new InMemoryRosterStore();
    const module = await Test.createTestingModule({
      controllers: [PresenceHandler, LoginHandler],
      providers: [
        { provide: ROSTER_STORE, useValue: store },
        { provide: ROSTER_CONFIG, useValue: loadRosterConfig({ ROSTER_MAX_ITEMS: '2' }) },
      ],
    }).compile();
    presence = module.get(PresenceHandler);
    login = module.get(LoginHandler);
  });

  // As the bus transport calls them: through the @Payload pipes (JIDs prepared there).
  const handle = (cmd: RosterPresenceCommand) => callWithPayloadPipes<RosterPresenceResult>(presence, 'handle', cmd);
  const loginOf = (q: RosterLoginQuery) => callWithPayloadPipes<RosterLoginResult>(login, 'handle', q);
  const send = (cmd: Omit<RosterPresenceCommand, 'direction'>) => handle({ ...cmd, direction: 'outbound' });
  const receive = (cmd: Omit<RosterPresenceCommand, 'direction'>) => handle({ ...cmd, direction: 'inbound' });

  it('records a request alicE sends to bOb as pending out, with a roster push and an event', async () => {
    const r = await send({ user: 'alicE@localhost', contact: 'bOb@localhost/phone', type: 'subscribe' });
    expect(r).toMatchObject({ deliver: true, contact: 'bob@localhost', changed: true, item: { jid: 'bob@localhost', subscription: 'none', ask: 'subscribe' } });
    expect(store.events.map((e) => [e.type, (e.data as { user: string }).user])).toEqual([[RosterEvents.itemUpdated, 'alice@localhost']]);
  });

  it('completes a mutual subscription, and login lists whom to probe and to broadcast to', async () => {
    await send({ user: 'alice@localhost', contact: 'bob@localhost', type: 'subscribe' });
    await receive({ user: 'bob@localhost', contact: 'alice@localhost', type: 'subscribe', status: 'hi, it is alice' });

    const pending = await loginOf({ user: 'bOb@localhost' });
    expect(pending.pendingIn).toEqual([{ jid: 'alice@localhost', status: 'hi, it is alice' }]);
    expect(pending.items).toEqual([]); // a request alone does not put alice in bob's roster

    await send({ user: 'bob@localhost', contact: 'alice@localhost', type: 'subscribed' });
    await receive({ user: 'alice@localhost', contact: 'bob@localhost', type: 'subscribed' });

    const alice = await loginOf({ user: 'alice@localhost' });
    expect(alice.items).toEqual([{ jid: 'bob@localhost', groups: [], subscription: 'to' }]);
    expect(alice.probe).toEqual(['bob@localhost']);
    expect(alice.broadcast).toEqual([]);
    const bob = await loginOf({ user: 'bob@localhost' });
    expect(bob.items).toEqual([{ jid: 'alice@localhost', groups: [], subscription: 'from' }]);
    expect(bob.broadcast).toEqual(['alice@localhost']);
    expect(bob.pendingIn).toEqual([]);
    expect(Number(bob.ver)).toBeGreaterThan(Number(pending.ver));
  });

  it('keeps a request whole and sends every inbound delivery through events: a request alone, an approval with its push', async () => {
    const request = `<presence from='alice@localhost' to='bob@localhost' type='subscribe'><nick xmlns='http://jabber.org/protocol/nick'>Al</nick></presence>`;
    await send({ user: 'alice@localhost', contact: 'bob@localhost', type: 'subscribe' });
    const r = await receive({ user: 'bob@localhost', contact: 'alice@localhost', type: 'subscribe', stanza: request });
    expect(r).toMatchObject({ deliver: true, deliveredByEvent: true, changed: false });
    expect(store.events.at(-1)!.data).toEqual({ user: 'bob@localhost', presence: request, to: 'available' });
    expect((await login.handle({ user: 'bob@localhost' })).pendingIn).toEqual([{ jid: 'alice@localhost', stanza: request }]);

    await send({ user: 'bob@localhost', contact: 'alice@localhost', type: 'subscribed' });
    const approval = `<presence from='bob@localhost' to='alice@localhost' type='subscribed'/>`;
    const ok = await receive({ user: 'alice@localhost', contact: 'bob@localhost', type: 'subscribed', stanza: approval });
    expect(ok).toMatchObject({ deliver: true, deliveredByEvent: true, changed: true });
    expect(store.events.at(-1)).toMatchObject({ type: RosterEvents.itemUpdated, data: { user: 'alice@localhost', ver: ok.ver, presence: approval } });
    expect((await login.handle({ user: 'bob@localhost' })).pendingIn).toEqual([]);
  });

  it('answers an unchanged state without a push, at the same version', async () => {
    const first = await send({ user: 'alice@localhost', contact: 'bob@localhost', type: 'subscribe' });
    const again = await send({ user: 'alice@localhost', contact: 'bob@localhost', type: 'subscribe' });
    expect(again.changed).toBe(false);
    expect(again.ver).toBe(first.ver);
    expect(store.events).toHaveLength(1);
  });

  it('refuses a request beyond ROSTER_MAX_ITEMS and leaves the roster as it was', async () => {
    await send({ user: 'alice@localhost', contact: 'a@localhost', type: 'subscribe' });
    await send({ user: 'alice@localhost', contact: 'b@localhost', type: 'subscribe' });
    const before = await loginOf({ user: 'alice@localhost' });
    await expect(send({ user: 'alice@localhost', contact: 'c@localhost', type: 'subscribe' })).rejects.toMatchObject({ error: { condition: 'not-allowed' } });
    expect(await loginOf({ user: 'alice@localhost' })).toEqual(before);
  });

  it('refuses JIDs that are not JIDs, and a user without a localpart, with jid-malformed', async () => {
    await expect(send({ user: 'localhost', contact: 'bob@localhost', type: 'subscribe' })).rejects.toBeInstanceOf(ReplyException);
    await expect(send({ user: 'alice@localhost', contact: '@localhost', type: 'subscribe' })).rejects.toMatchObject({ error: { condition: 'jid-malformed' } });
    await expect(loginOf({ user: 'a@b@c' })).rejects.toMatchObject({ error: { condition: 'jid-malformed' } });
  });

  it('refuses an unknown presence type or direction with bad-request', async () => {
    await expect(send({ user: 'alice@localhost', contact: 'bob@localhost', type: 'probe' as never })).rejects.toMatchObject({ error: { condition: 'bad-request' } });
    await expect(handle({ user: 'alice@localhost', contact: 'bob@localhost', type: 'subscribe', direction: 'sideways' as never })).rejects.toMatchObject({
      error: { condition: 'bad-request' },
    });
  });
});
