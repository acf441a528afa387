// The roster service in-process against real NATS and Postgres, driven through the
// bus exactly as the gateway drives it.
import {
  BlocklistsResult,
  MAX_LOGINS_PER_QUERY,
  RosterLoginsResult,
  MAX_BLOCKLISTS_PER_QUERY,
  AccountDeletedV1,
  BlocklistChangedV1,
  BlocklistResult,
  BlockResult,
  envelope,
  GatewayEvents,
  RosterEvents,
  RosterGetResult,
  RosterItemUpdatedV1,
  RosterLoginResult,
  RosterPresenceCommand,
  RosterPresenceResult,
  RosterRemoveItemResult,
  RosterSetItemResult,
  RosterSubjects,
  RosterUserErasedV1,
  SubscriptionPresenceType,
  SubscriptionPresenceV1,
  UnblockResult,
} from '@parley/contracts';
import { BusReplyError } from '@parley/nats';
import { waitFor } from '@parley/testing-stack';
import { migrations } from './persistence/migrations';
import { RosterHarness } from './testing/harness';

jest.setTimeout(60_000);

let h: RosterHarness;
let n = 0;
/** A fresh pair of local users per test, in mixed case (exercising JID preparation). */
function users(): { alice: string; bob: string; carol: string; a: string; b: string; c: string } {
  n += 1;
  return { alice: `alicE${n}@localhost`, bob: `bOb${n}@localhost`, carol: `Carol${n}@localhost`, a: `alice${n}@localhost`, b: `bob${n}@localhost`, c: `carol${n}@localhost` };
}

const get = (user: string, ver?: string) => h.request<RosterGetResult>(RosterSubjects.get, ver === undefined ? { user } : { user, ver });
const login = (user: string) => h.request<RosterLoginResult>(RosterSubjects.login, { user });
const setItem = (user: string, item: { jid: string; name?: string; groups?: string[] }) => h.request<RosterSetItemResult>(RosterSubjects.setItem, { user, item });
const removeItem = (user: string, jid: string) => h.request<RosterRemoveItemResult>(RosterSubjects.removeItem, { user, jid });
const presence = (user: string, contact: string, type: SubscriptionPresenceType, direction: RosterPresenceCommand['direction'], status?: string) =>
  h.request<RosterPresenceResult>(RosterSubjects.presence, { user, contact, type, direction, ...(status ? { status } : {}) });

async function failure(p: Promise<unknown>): Promise<BusReplyError> {
  const e = await p.then(
    () => undefined,
    (err: unknown) => err,
  );
  if (!(e instanceof BusReplyError)) throw new Error(`expected a reply error, got ${String(e)}`);
  return e;
}

/**
 * What the gateway does with a subscription stanza from one local user to another:
 * the sender's side (outbound), then, when routed, the recipient's side (inbound),
 * then any automatic reply the recipient's server sends back.
 */
async function sendLocal(from: string, to: string, type: SubscriptionPresenceType, status?: string) {
  const outbound = await presence(from, to, type, 'outbound', status);
  const inbound = outbound.deliver ? await presence(to, from, type, 'inbound', status) : undefined;
  const reply = inbound?.autoReply ? await presence(from, to, inbound.autoReply, 'inbound') : undefined;
  return { outbound, inbound, reply };
}

function itemOf(result: RosterGetResult, jid: string) {
  if (result.kind !== 'full') throw new Error(`expected a full roster, got ${result.kind}`);
  return result.items.find((i) => i.jid === jid);
}

beforeAll(async () => {
  h = await RosterHarness.create({
    ROSTER_MAX_ITEMS: '5',
    ROSTER_CHANGE_LOG_SIZE: '3',
    ROSTER_MAX_NAME_LENGTH: '20',
    ROSTER_MAX_GROUP_LENGTH: '10',
    ROSTER_MAX_BLOCKED: '4',
    ROSTER_MAX_PENDING_IN: '3',
  });
});

afterAll(async () => {
  await h?.close();
});

describe('roster get, set and remove (RFC 6121 §2)', () => {
  it('adds, updates and removes an item, pushing every change', async () => {
    const { alice, a, b } = users();
    const added = await setItem(alice, { jid: 'BOB' + b.slice(3), name: 'Bob', groups: ['Friends', 'Work'] });
    expect(added.item).toEqual({ jid: b, name: 'Bob', groups: ['Friends', 'Work'], subscription: 'none' });
    const [push] = await h.waitForEvents<RosterItemUpdatedV1>(RosterEvents.itemUpdated, (d) => d.user === a && d.ver === added.ver);
    expect(push.data).toEqual({ user: a, item: added.item, ver: added.ver, cause: 'set' });

    const updated = await setItem(alice, { jid: b, name: 'Bobby', groups: ['Friends'] });
    expect(Number(updated.ver)).toBe(Number(added.ver) + 1);
    expect(itemOf(await get(alice), b)).toEqual({ jid: b, name: 'Bobby', groups: ['Friends'], subscription: 'none' });

    const cleared = await setItem(alice, { jid: b });
    expect(cleared.item).toEqual({ jid: b, groups: [], subscription: 'none' });

    const removed = await removeItem(alice, b);
    expect(removed).toEqual({ ver: String(Number(cleared.ver) + 1), presences: [], sendUnavailable: false });
    await h.waitForEvents<RosterItemUpdatedV1>(
      RosterEvents.itemUpdated,
      (d) => d.user === a && d.ver === removed.ver && d.item.subscription === 'remove' && d.cause === 'remove',
    );
    expect(itemOf(await get(alice), b)).toBeUndefined();
    expect((await failure(removeItem(alice, b))).error.condition).toBe('item-not-found');
  });

  it('answers an empty roster for a user it has never seen', async () => {
    const { alice } = users();
    expect(await get(alice)).toEqual({ kind: 'full', ver: '0', items: [] });
  });

  it('publishes every event it commits: the outbox ends empty', async () => {
    const { alice, b } = users();
    await setItem(alice, { jid: b });
    await waitFor(async () => (await h.sql<{ n: number }>('SELECT count(*)::int AS n FROM outbox'))[0].n === 0, { what: 'an empty outbox' });
  });
});

describe('atomic changes per user', () => {
  it('serialises concurrent changes of one user: one version each, one push each', async () => {
    const { alice, a } = users();
    const results = await Promise.all([0, 1, 2, 3].map((i) => setItem(alice, { jid: `p${i}@example.org` })));
    const vers = results.map((r) => Number(r.ver)).sort((x, y) => x - y);
    expect(vers).toEqual([vers[0], vers[0] + 1, vers[0] + 2, vers[0] + 3]);
    const pushes = await h.waitForEvents<RosterItemUpdatedV1>(RosterEvents.itemUpdated, (d) => d.user === a, 4);
    expect(pushes.map((p) => Number(p.data.ver)).sort((x, y) => x - y)).toEqual(vers);
    const full = await get(alice);
    expect(full.kind === 'full' && full.items).toHaveLength(4);
  });
});

describe('roster versioning (RFC 6121 §2.6)', () => {
  it('answers "unchanged" at the current version, the pushes since an older one, the full roster when too far behind', async () => {
    const { alice, b, c } = users();
    const v1 = (await setItem(alice, { jid: b })).ver;
    expect(await get(alice, v1)).toEqual({ kind: 'unchanged', ver: v1 });

    const v2 = (await setItem(alice, { jid: c, name: 'C' })).ver;
    const v3 = (await setItem(alice, { jid: b, name: 'B' })).ver;
    expect(await get(alice, v1)).toEqual({
      kind: 'pushes',
      ver: v3,
      pushes: [
        { ver: v2, item: { jid: c, name: 'C', groups: [], subscription: 'none' } },
        { ver: v3, item: { jid: b, name: 'B', groups: [], subscription: 'none' } },
      ],
    });

    const v4 = (await removeItem(alice, c)).ver;
    expect(await get(alice, v3)).toEqual({ kind: 'pushes', ver: v4, pushes: [{ ver: v4, item: { jid: c, subscription: 'remove' } }] });

    // The log keeps 3 changes: v1 → v4 is 3 changes (still answerable), v0 is not.
    expect((await get(alice, v1)).kind).toBe('pushes');
    await setItem(alice, { jid: b, name: 'again' });
    const full = await get(alice, v1);
    expect(full.kind).toBe('full');
    expect(await get(alice, '')).toEqual(full);
    expect(await get(alice, 'not-ours')).toEqual(full);
  });
});

describe('subscriptions between two local users (RFC 6121 §3)', () => {
  it('keeps a pending request whole and sends an approval with its roster push (RFC 6121 §3.1.3, §3.1.6)', async () => {
    const { alice, bob, a, b } = users();
    const request = `<presence from='${a}' to='${b}' type='subscribe' id='s1'><nick xmlns='http://jabber.org/protocol/nick'>Alice</nick><preauth xmlns='urn:xmpp:pars:0' token='t0k3n'/></presence>`;
    await presence(alice, bob, 'subscribe', 'outbound');
    const delivered = await h.request<RosterPresenceResult>(RosterSubjects.presence, { user: bob, contact: alice, type: 'subscribe', direction: 'inbound', stanza: request });
    expect(delivered).toMatchObject({ deliver: true, deliveredByEvent: true, changed: false });
    // the request goes to bob's available resources through the event stream, whole
    const [sent] = await h.waitForEvents<SubscriptionPresenceV1>(RosterEvents.subscriptionPresence, (d) => d.user === b);
    expect(sent.data).toEqual({ user: b, presence: request, to: 'available' });
    expect((await login(bob)).pendingIn).toEqual([{ jid: a, stanza: request }]);

    // bob approves: alice's side keeps the approval for the push, and says so
    await presence(bob, alice, 'subscribed', 'outbound');
    const approval = `<presence from='${b}' to='${a}' type='subscribed' id='ok1'/>`;
    const res = await h.request<RosterPresenceResult>(RosterSubjects.presence, { user: alice, contact: bob, type: 'subscribed', direction: 'inbound', stanza: approval });
    expect(res).toMatchObject({ deliver: true, deliveredByEvent: true, changed: true, item: { jid: b, subscription: 'to' } });
    const [push] = await h.waitForEvents<RosterItemUpdatedV1>(RosterEvents.itemUpdated, (d) => d.user === a && d.ver === res.ver);
    expect(push.data).toEqual({ user: a, item: res.item, ver: res.ver, cause: 'subscription', presence: approval });
    // the request is answered: nothing of it is kept
    expect((await login(bob)).pendingIn).toEqual([]);
    expect(await h.sql(`SELECT pending_in_stanza FROM roster_item WHERE pending_in_stanza IS NOT NULL AND owner = $1`, [b])).toEqual([]);
  });

  it('keeps only the status of a request too large to keep whole, and pushes a bare approval', async () => {
    const { alice, bob, a } = users();
    const big = `<presence type='subscribe'><status>hi</status><x xmlns='urn:example:big'>${'y'.repeat(20_000)}</x></presence>`;
    await presence(alice, bob, 'subscribe', 'outbound');
    await h.request<RosterPresenceResult>(RosterSubjects.presence, { user: bob, contact: alice, type: 'subscribe', direction: 'inbound', status: 'hi', stanza: big });
    expect((await login(bob)).pendingIn).toEqual([{ jid: a, status: 'hi' }]);
    await presence(bob, alice, 'subscribed', 'outbound');
    const res = await presence(alice, bob, 'subscribed', 'inbound');
    expect(res.deliveredByEvent).toBe(true);
    const [push] = await h.waitForEvents<RosterItemUpdatedV1>(RosterEvents.itemUpdated, (d) => d.user === a && d.ver === res.ver);
    expect(push.data.presence).toMatch(/^<presence from='bob\d+@localhost' to='alice\d+@localhost' type='subscribed'\/>$/);
  });

  it('runs request, approval and mutual subscription through both calls', async () => {
    const { alice, bob, a, b } = users();

    // alice → bob: subscribe
    const req = await sendLocal(alice, bob, 'subscribe', 'I am Alice');
    expect(req.outbound).toMatchObject({ deliver: true, changed: true, contact: b, item: { jid: b, subscription: 'none', ask: 'subscribe' } });
    expect(req.inbound).toMatchObject({ deliver: true, changed: false, contact: a });
    expect(req.inbound?.item).toBeUndefined(); // a request does not add alice to bob's roster

    // bob logs in later: the request is there, with its status text
    expect((await login(bob)).pendingIn).toEqual([{ jid: a, status: 'I am Alice' }]);

    // bob approves
    const ok = await sendLocal(bob, alice, 'subscribed');
    expect(ok.outbound).toMatchObject({ deliver: true, sendPresence: 'available', changed: true, item: { jid: a, subscription: 'from', groups: [] } });
    expect(ok.inbound).toMatchObject({ deliver: true, changed: true, item: { jid: b, subscription: 'to' } });
    expect(ok.inbound?.item?.ask).toBeUndefined();
    expect((await login(bob)).pendingIn).toEqual([]);

    // bob → alice: subscribe, alice approves: both
    await sendLocal(bob, alice, 'subscribe');
    await sendLocal(alice, bob, 'subscribed');
    expect(itemOf(await get(alice), b)?.subscription).toBe('both');
    expect(itemOf(await get(bob), a)?.subscription).toBe('both');

    const aliceLogin = await login(alice);
    expect(aliceLogin.probe).toEqual([b]);
    expect(aliceLogin.broadcast).toEqual([b]);

    // a repeated subscribe from a subscribed contact is answered by the server
    const again = await sendLocal(alice, bob, 'subscribe');
    expect(again.inbound).toMatchObject({ deliver: false, autoReply: 'subscribed', sendPresence: 'available', changed: false });
    expect(again.reply).toMatchObject({ deliver: false, changed: false });

    // alice unsubscribes from bob: alice 'from', bob 'to'; bob's resources owe alice unavailable
    const unsub = await sendLocal(alice, bob, 'unsubscribe');
    expect(unsub.outbound).toMatchObject({ deliver: true, item: { subscription: 'from' } });
    expect(unsub.inbound).toMatchObject({ deliver: true, sendPresence: 'unavailable', item: { subscription: 'to' } });

    // bob cancels alice's subscription to him... he has none: only 'to' left on his side.
    // alice cancels bob's subscription to her: both end in 'none'.
    const cancel = await sendLocal(alice, bob, 'unsubscribed');
    expect(cancel.outbound).toMatchObject({ deliver: true, sendPresence: 'unavailable', item: { subscription: 'none' } });
    expect(cancel.inbound).toMatchObject({ deliver: true, item: { subscription: 'none' } });

    // alice's roster changed five times (ask, to, both, from, none): five pushes, in version order
    const pushes = await h.waitForEvents<RosterItemUpdatedV1>(RosterEvents.itemUpdated, (d) => d.user === a && d.cause === 'subscription', 5);
    expect(pushes.map((p) => p.data.item.subscription)).toEqual(['none', 'to', 'both', 'from', 'none']);
    const vers = pushes.map((p) => Number(p.data.ver));
    expect(vers).toEqual([...vers].sort((x, y) => x - y));
  });

  it('keeps a request to an offline user for every login until answered, and forgets a denied one', async () => {
    const { alice, bob, carol, a, b, c } = users();
    await sendLocal(alice, bob, 'subscribe', 'hi');
    await sendLocal(carol, bob, 'subscribe');
    const first = await login(bob);
    expect(first.pendingIn).toEqual([{ jid: a, status: 'hi' }, { jid: c }]);
    expect(first.items).toEqual([]);
    expect((await login(bob)).pendingIn).toHaveLength(2); // still there at the next login

    // a duplicate request is not delivered again and keeps the original status
    expect((await sendLocal(alice, bob, 'subscribe', 'other')).inbound).toMatchObject({ deliver: false });
    expect((await login(bob)).pendingIn[0]).toEqual({ jid: a, status: 'hi' });

    // bob denies carol: carol's pending out ends, nothing stays in bob's store
    const deny = await sendLocal(bob, carol, 'unsubscribed');
    expect(deny.outbound).toMatchObject({ deliver: true, changed: false });
    expect(deny.outbound.sendPresence).toBeUndefined();
    expect(deny.inbound).toMatchObject({ deliver: true, item: { subscription: 'none' } });
    expect(deny.inbound?.item?.ask).toBeUndefined();
    expect((await login(bob)).pendingIn).toEqual([{ jid: a, status: 'hi' }]);

    // alice cancels her own request
    await sendLocal(alice, bob, 'unsubscribe');
    expect((await login(bob)).pendingIn).toEqual([]);
    expect(await h.sql('SELECT contact FROM roster_item WHERE owner = $1', [b])).toEqual([]);
  });

  it('applies remote contacts with only the local side', async () => {
    const { alice } = users();
    const out = await presence(alice, 'Remote@Example.ORG/phone', 'subscribe', 'outbound');
    expect(out).toMatchObject({ deliver: true, contact: 'remote@example.org', item: { jid: 'remote@example.org', ask: 'subscribe' } });
    const inb = await presence(alice, 'remote@example.org', 'subscribed', 'inbound');
    expect(inb).toMatchObject({ deliver: true, changed: true, item: { subscription: 'to' } });
    expect((await login(alice)).probe).toEqual(['remote@example.org']);
  });
});

describe('subscription pre-approval (RFC 6121 §3.4)', () => {
  it('auto-approves a pre-approved contact without bothering the user', async () => {
    const { alice, carol, a, c } = users();
    const pre = await presence(alice, carol, 'subscribed', 'outbound');
    expect(pre).toMatchObject({ deliver: false, changed: true, item: { jid: c, subscription: 'none', approved: true } });

    const req = await sendLocal(carol, alice, 'subscribe');
    expect(req.inbound).toMatchObject({ deliver: false, autoReply: 'subscribed', sendPresence: 'available', item: { jid: c, subscription: 'from' } });
    expect(req.inbound?.item?.approved).toBeUndefined();
    expect(req.reply).toMatchObject({ deliver: true, item: { jid: a, subscription: 'to' } });
    expect((await login(alice)).pendingIn).toEqual([]);
  });

  it('cancels a pre-approval with unsubscribed', async () => {
    const { alice, c } = users();
    await presence(alice, c, 'subscribed', 'outbound');
    const cancel = await presence(alice, c, 'unsubscribed', 'outbound');
    expect(cancel).toMatchObject({ deliver: false, changed: true, item: { jid: c, subscription: 'none' } });
    expect(cancel.item?.approved).toBeUndefined();
  });
});

describe('removing a contact (RFC 6121 §2.5.3)', () => {
  it('reports the unsubscribe and unsubscribed presences to send', async () => {
    const { alice, bob, a, b } = users();
    await sendLocal(alice, bob, 'subscribe');
    await sendLocal(bob, alice, 'subscribed');
    await sendLocal(bob, alice, 'subscribe');
    await sendLocal(alice, bob, 'subscribed');

    const removed = await removeItem(alice, bob);
    expect(removed.presences).toEqual([
      { to: b, type: 'unsubscribe' },
      { to: b, type: 'unsubscribed' },
    ]);
    expect(removed.sendUnavailable).toBe(true);

    // the gateway delivers them to bob (local): bob ends with nothing
    for (const p of removed.presences) await presence(bob, alice, p.type, 'inbound');
    expect(itemOf(await get(bob), a)).toMatchObject({ subscription: 'none' });
  });

  it('cancels a pending request of either side', async () => {
    const { alice, b, c } = users();
    await presence(alice, b, 'subscribe', 'outbound');
    expect((await removeItem(alice, b)).presences).toEqual([{ to: b, type: 'unsubscribe' }]);
    await setItem(alice, { jid: c });
    await presence(alice, c, 'subscribe', 'inbound');
    expect(await removeItem(alice, c)).toMatchObject({ presences: [{ to: c, type: 'unsubscribed' }], sendUnavailable: false });
  });
});

describe('blocking (XEP-0191)', () => {
  it('blocks, lists, enforces, unblocks and unblocks all, with events', async () => {
    const { alice, bob, a, b } = users();
    expect(await h.request<BlocklistResult>(RosterSubjects.blocklist, { user: alice })).toEqual({ blocked: [] });

    await sendLocal(bob, alice, 'subscribe');
    await sendLocal(alice, bob, 'subscribed'); // bob receives alice's presence

    const blocked = await h.request<BlockResult>(RosterSubjects.block, { user: alice, jids: ['Spam.Example', b, 'eve@spam.example/x'] });
    expect(blocked).toEqual({ blocked: ['spam.example', b, 'eve@spam.example/x'], sendUnavailableTo: [b] });
    const [evt] = await h.waitForEvents<BlocklistChangedV1>(RosterEvents.blocklistChanged, (d) => d.user === a && d.action === 'block');
    expect(evt.data.jids).toEqual([b, 'eve@spam.example/x', 'spam.example'].sort());
    expect((await h.request<BlocklistResult>(RosterSubjects.blocklist, { user: alice })).blocked).toEqual([b, 'eve@spam.example/x', 'spam.example'].sort());

    // nothing passes to or from a blocked JID
    expect(await presence(alice, 'x@spam.example', 'subscribe', 'inbound')).toMatchObject({ deliver: false, blocked: true, changed: false });
    expect(await presence(alice, b, 'subscribe', 'outbound')).toMatchObject({ deliver: false, blocked: true, changed: false });
    const l = await login(alice);
    expect(l.broadcast).toEqual([]);
    expect(l.blocked).toHaveLength(3);

    // blocking again changes nothing and publishes nothing
    const before = h.seen(RosterEvents.blocklistChanged, (d: BlocklistChangedV1) => d.user === a).length;
    expect((await h.request<BlockResult>(RosterSubjects.block, { user: alice, jids: [b] })).sendUnavailableTo).toEqual([]);

    const unblocked = await h.request<UnblockResult>(RosterSubjects.unblock, { user: alice, jids: [b, 'never@blocked.example'] });
    expect(unblocked).toEqual({ unblocked: [b], sendPresenceTo: [b], probe: [] });
    await h.waitForEvents<BlocklistChangedV1>(RosterEvents.blocklistChanged, (d) => d.user === a && d.action === 'unblock' && d.jids[0] === b);
    expect(h.seen(RosterEvents.blocklistChanged, (d: BlocklistChangedV1) => d.user === a)).toHaveLength(before + 1);
    expect((await login(alice)).broadcast).toEqual([b]);

    const all = await h.request<UnblockResult>(RosterSubjects.unblockAll, { user: alice });
    expect(all.unblocked).toEqual(['eve@spam.example/x', 'spam.example']);
    const [cleared] = await h.waitForEvents<BlocklistChangedV1>(RosterEvents.blocklistChanged, (d) => d.user === a && d.action === 'unblock-all');
    expect(cleared.data.jids).toEqual(['eve@spam.example/x', 'spam.example']);
    expect((await h.request<BlocklistResult>(RosterSubjects.blocklist, { user: alice })).blocked).toEqual([]);
  });

  it('answers several users\' login queries in one, each as its own roster.qry.login would', async () => {
    const { alice, bob, carol } = users();
    await sendLocal(bob, alice, 'subscribe');
    await sendLocal(alice, bob, 'subscribed');
    await sendLocal(carol, alice, 'subscribe'); // pending for alice
    await h.request<BlockResult>(RosterSubjects.block, { user: bob, jids: ['spam.example'] });
    const nobody = `nobody-${carol}`;
    const r = await h.request<RosterLoginsResult>(RosterSubjects.logins, { users: [alice, bob, nobody, alice] });
    expect(r.results).toEqual([await login(alice), await login(bob), await login(nobody), await login(alice)]);
    expect(r.results[0].pendingIn.map((p) => p.jid)).toEqual([carol.toLowerCase()]);
    expect(r.results[1].blocked).toEqual(['spam.example']);
    expect(r.results[2]).toEqual({ ver: '0', items: [], probe: [], broadcast: [], pendingIn: [], blocked: [] });
    expect((await failure(h.request(RosterSubjects.logins, { users: [] }))).error.condition).toBe('bad-request');
    const many = Array.from({ length: MAX_LOGINS_PER_QUERY + 1 }, (_, i) => `u${i}@localhost`);
    expect((await failure(h.request(RosterSubjects.logins, { users: many }))).error.condition).toBe('bad-request');
  });

  it("answers several users' block lists in one query, in the order asked", async () => {
    const { alice, bob, carol, b } = users();
    await h.request<BlockResult>(RosterSubjects.block, { user: alice, jids: ['spam.example', b] });
    await h.request<BlockResult>(RosterSubjects.block, { user: bob, jids: ['Eve@Spam.Example'] });
    const r = await h.request<BlocklistsResult>(RosterSubjects.blocklists, { users: [bob, carol, alice, bob] });
    expect(r.blocked).toEqual([['eve@spam.example'], [], [b, 'spam.example'].sort(), ['eve@spam.example']]);
    expect((await h.request<BlocklistResult>(RosterSubjects.blocklist, { user: alice })).blocked).toEqual(r.blocked[2]);
    expect((await failure(h.request(RosterSubjects.blocklists, { users: [] }))).error.condition).toBe('bad-request');
    expect((await failure(h.request(RosterSubjects.blocklists, { users: ['@nowhere'] }))).error.condition).toBe('jid-malformed');
    const many = Array.from({ length: MAX_BLOCKLISTS_PER_QUERY + 1 }, (_, i) => `u${i}@localhost`);
    expect((await failure(h.request(RosterSubjects.blocklists, { users: many }))).error.condition).toBe('bad-request');
  });

  it('refuses an empty, malformed or oversized block', async () => {
    const { alice } = users();
    expect((await failure(h.request(RosterSubjects.block, { user: alice, jids: [] }))).error.condition).toBe('bad-request');
    expect((await failure(h.request(RosterSubjects.unblock, { user: alice, jids: [] }))).error.condition).toBe('bad-request');
    expect((await failure(h.request(RosterSubjects.block, { user: alice, jids: ['@nowhere'] }))).error.condition).toBe('jid-malformed');
    const full = await failure(h.request(RosterSubjects.block, { user: alice, jids: ['a.example', 'b.example', 'c.example', 'd.example', 'e.example'] }));
    expect(full.error).toMatchObject({ condition: 'not-allowed', text: 'the block list is full: it may hold at most 4 JIDs' });
  });
});

describe('limits and malformed input', () => {
  it('refuses a sixth item with not-allowed and a clear text, also through a subscription', async () => {
    const { alice } = users();
    for (let i = 0; i < 5; i++) await setItem(alice, { jid: `c${i}@example.org` });
    const err = await failure(setItem(alice, { jid: 'c5@example.org' }));
    expect(err.error).toMatchObject({ condition: 'not-allowed', type: 'cancel', text: 'the roster is full: it may hold at most 5 items' });
    expect((await failure(presence(alice, 'c6@example.org', 'subscribe', 'outbound'))).error.condition).toBe('not-allowed');
    expect((await failure(presence(alice, 'c6@example.org', 'subscribed', 'outbound'))).error.condition).toBe('not-allowed');
    // updating an existing item and inbound requests still work
    await setItem(alice, { jid: 'c0@example.org', name: 'zero' });
    expect(await presence(alice, 'c7@example.org', 'subscribe', 'inbound')).toMatchObject({ deliver: true });
  });

  it('declines requests beyond the pending-request limit instead of keeping them', async () => {
    const { bob, b } = users();
    for (let i = 0; i < 3; i++) expect(await presence(bob, `r${i}@example.org`, 'subscribe', 'inbound')).toMatchObject({ deliver: true });
    const over = await presence(bob, 'r3@example.org', 'subscribe', 'inbound');
    expect(over).toMatchObject({ deliver: false, autoReply: 'unsubscribed', changed: false });
    expect((await login(bob)).pendingIn.map((p) => p.jid)).toEqual(['r0@example.org', 'r1@example.org', 'r2@example.org']);
    // a contact the user added is not limited by it
    await setItem(bob, { jid: 'r4@example.org' });
    expect(await presence(bob, 'r4@example.org', 'subscribe', 'inbound')).toMatchObject({ deliver: true });
    expect(await h.sql('SELECT count(*)::int AS n FROM roster_item WHERE owner = $1 AND pending_in', [b])).toEqual([{ n: 4 }]);
  });

  it('answers jid-malformed for JIDs that fail RFC 7622 preparation', async () => {
    const { alice } = users();
    for (const jid of ['@example.org', 'bob@', '', `${'x'.repeat(1024)}@example.org`]) {
      expect((await failure(setItem(alice, { jid }))).error.condition).toBe('jid-malformed');
    }
    expect((await failure(get('not a jid@@'))).error.condition).toBe('jid-malformed');
    expect((await failure(presence(alice, 'bob@', 'subscribe', 'outbound'))).error.condition).toBe('jid-malformed');
  });

  it('checks names and groups (RFC 6121 §2.3.3)', async () => {
    const { alice, b } = users();
    expect((await failure(setItem(alice, { jid: b, name: 'x'.repeat(21) }))).error.condition).toBe('not-acceptable');
    expect((await failure(setItem(alice, { jid: b, groups: [''] }))).error.condition).toBe('not-acceptable');
    expect((await failure(setItem(alice, { jid: b, groups: ['x'.repeat(11)] }))).error.condition).toBe('not-acceptable');
    const dup = await failure(setItem(alice, { jid: b, groups: ['a', 'a'] }));
    expect(dup.error).toMatchObject({ condition: 'bad-request', text: 'the group "a" appears more than once' });
    expect((await failure(presence(alice, b, 'probe' as SubscriptionPresenceType, 'outbound'))).error.condition).toBe('bad-request');
  });
});

describe('schema', () => {
  it('migrates an empty database, with the indexes login and account deletion use', async () => {
    expect(await h.sql('SELECT count(*)::int AS n FROM migrations')).toEqual([{ n: migrations.length }]);
    expect(await h.sql(`SELECT column_name FROM information_schema.columns WHERE table_name = 'roster_item' AND column_name = 'pending_in_stanza'`)).toHaveLength(1);
    const indexes = await h.sql<{ indexname: string }>(`SELECT indexname FROM pg_indexes WHERE schemaname = 'public' ORDER BY indexname`);
    expect(indexes.map((i) => i.indexname)).toEqual(
      expect.arrayContaining(['roster_item_pkey', 'roster_item_contact_bare_idx', 'roster_change_pkey', 'blocked_jid_pkey', 'roster_version_pkey']),
    );
  });
});

describe('account deletion (gateway.evt.account-deleted)', () => {
  it("erases the user's data and removes the user from every local roster, idempotently", async () => {
    const { alice, bob, carol, a, b, c } = users();
    const dave = `dave${n}@localhost`;
    await sendLocal(alice, dave, 'subscribe');
    await sendLocal(dave, alice, 'subscribed');
    await sendLocal(dave, alice, 'subscribe');
    await sendLocal(alice, dave, 'subscribed');
    await setItem(bob, { jid: `${dave}/laptop` });
    await sendLocal(dave, carol, 'subscribe'); // carol keeps a pending request only
    await setItem(dave, { jid: 'friend@remote.example' });
    await presence(dave, 'friend@remote.example', 'subscribe', 'outbound');
    await h.request(RosterSubjects.block, { user: dave, jids: ['spam.example'] });

    const deleted = envelope<AccountDeletedV1>(GatewayEvents.accountDeleted, { jid: dave, reason: 'user' });
    await h.bus.publishEvent(deleted);

    const [erased] = await h.waitForEvents<RosterUserErasedV1>(RosterEvents.userErased, (d) => d.user === dave);
    expect(erased.causationId).toBe(deleted.id);
    expect(erased.data.contactsUpdated).toBe(2);
    expect(erased.data.presences).toEqual(
      expect.arrayContaining([
        { to: a, type: 'unsubscribe' },
        { to: a, type: 'unsubscribed' },
        { to: c, type: 'unsubscribe' },
        { to: 'friend@remote.example', type: 'unsubscribe' },
      ]),
    );
    const removals = h.seen<RosterItemUpdatedV1>(RosterEvents.itemUpdated, (d) => d.cause === 'contact-deleted' && d.item.jid.startsWith(dave));
    expect(removals.map((e) => [e.data.user, e.data.item])).toEqual(
      expect.arrayContaining([
        [a, { jid: dave, subscription: 'remove' }],
        [b, { jid: `${dave}/laptop`, subscription: 'remove' }],
      ]),
    );
    expect(removals).toHaveLength(2);

    expect(itemOf(await get(alice), dave)).toBeUndefined();
    expect((await login(carol)).pendingIn).toEqual([]);
    for (const table of ['roster_item', 'roster_change', 'blocked_jid', 'roster_version']) {
      expect(await h.sql(`SELECT 1 FROM ${table} WHERE owner = $1`, [dave])).toEqual([]);
    }
    expect(await h.sql(`SELECT 1 FROM roster_item WHERE split_part(contact, '/', 1) = $1`, [dave])).toEqual([]);
    // alice's versioning log no longer holds how she had filed dave
    const logged = await h.sql<{ item: unknown }>('SELECT item FROM roster_change WHERE owner = $1 AND contact = $2', [a, dave]);
    expect(logged.length).toBeGreaterThan(0);
    for (const row of logged) expect(row.item).toEqual({ jid: dave, subscription: 'remove' });

    // a replay (new event id) finds nothing to do and publishes nothing; the marker
    // deletion published after it shows when the replay has been processed
    const replay = envelope<AccountDeletedV1>(GatewayEvents.accountDeleted, { jid: dave, reason: 'admin' });
    await h.bus.publishEvent(replay);
    const marker = envelope<AccountDeletedV1>(GatewayEvents.accountDeleted, { jid: `marker${n}@localhost`, reason: 'admin' });
    await h.request(RosterSubjects.block, { user: `marker${n}@localhost`, jids: ['x.example'] });
    await h.bus.publishEvent(marker);
    await h.waitForEvents<RosterUserErasedV1>(RosterEvents.userErased, (d) => d.user === `marker${n}@localhost`);
    expect(h.seen(RosterEvents.userErased, (d: RosterUserErasedV1) => d.user === dave)).toHaveLength(1);
    expect(h.seen(RosterEvents.itemUpdated, (d: RosterItemUpdatedV1) => d.cause === 'contact-deleted' && d.item.jid.startsWith(dave))).toHaveLength(2);
  });
});

describe('a restart of the roster service', () => {
  it('loses nothing, and processes an account deletion published while it was down', async () => {
    const { alice, bob, a, b } = users();
    const erin = `erin${n}@localhost`;
    await sendLocal(alice, bob, 'subscribe', 'hello');
    await setItem(alice, { jid: erin, name: 'Erin', groups: ['G'] });
    await h.request(RosterSubjects.block, { user: alice, jids: ['spam.example'] });
    const beforeAlice = await login(alice);
    const beforeBob = await login(bob);

    await h.stop();
    await h.bus.publishEvent(envelope<AccountDeletedV1>(GatewayEvents.accountDeleted, { jid: erin, reason: 'inactivity' }));
    // an event committed by the previous run whose publication did not happen (e.g. NATS was away)
    const stranded = envelope<RosterItemUpdatedV1>(RosterEvents.itemUpdated, { user: b, item: { jid: 'x@example.org', subscription: 'remove' }, ver: '0', cause: 'remove' });
    await h.sql('INSERT INTO outbox (subject, envelope) VALUES ($1, $2)', [stranded.type, JSON.stringify(stranded)]);
    await h.start();

    await waitFor(() => h.events.some((e) => e.id === stranded.id), { what: 'the stranded event' });

    const [removal] = await h.waitForEvents<RosterItemUpdatedV1>(RosterEvents.itemUpdated, (d) => d.user === a && d.cause === 'contact-deleted');
    expect(removal.data.item).toEqual({ jid: erin, subscription: 'remove' });
    const afterAlice = await login(alice);
    expect(afterAlice.items).toEqual(beforeAlice.items.filter((i) => i.jid !== erin));
    expect(afterAlice.blocked).toEqual(beforeAlice.blocked);
    expect(Number(afterAlice.ver)).toBe(Number(beforeAlice.ver) + 1);
    expect(await login(bob)).toEqual(beforeBob);
    expect(beforeBob.pendingIn).toEqual([{ jid: a, status: 'hello' }]);
    expect(itemOf(await get(alice), b)).toMatchObject({ ask: 'subscribe' });
  });
});
