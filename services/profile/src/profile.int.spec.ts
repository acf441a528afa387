// The profile service against real NATS and Postgres: the spec plays the gateway (its
// requests) and the roster service (answering roster.qry.login), and follows
// profile.evt.notify as the gateways do.
import 'reflect-metadata';
import {
  AccountDeletedV1,
  envelope,
  GatewayEvents,
  PepItemsResult,
  PepLastItemsResult,
  PepNodeConfigResult,
  PepNodesResult,
  PepNotificationV1,
  PepOutcome,
  PepPublishResult,
  ProfileEvents,
  ProfileSubjects,
  RosterLoginResult,
  RosterSubjects,
  SetVCardResult,
  VCardResult,
  AvatarHashResult,
  CapsResult,
} from '@parley/contracts';
import { ServiceHarness } from '@parley/testing-service';
import { waitFor } from '@parley/testing-stack';
import { createHash } from 'node:crypto';
import { AppModule, PROFILE_STREAMS, profileBus } from './app.module';
import { loadProfileConfig } from './config/config';

const NICK = 'http://jabber.org/protocol/nick';
const alice = 'alice@localhost';
const bob = 'bob@localhost';
const carol = 'carol@localhost';
const nick = (n: string) => `<nick xmlns='${NICK}'>${n}</nick>`;

describe('profile service (real NATS and Postgres)', () => {
  let h: ServiceHarness;
  const notes: PepNotificationV1[] = [];
  // rosters the fake roster service answers with
  const rosters = new Map<string, RosterLoginResult>();
  const enc = new TextEncoder();

  beforeAll(async () => {
    h = await ServiceHarness.create(
      { name: 'profile', databaseUrlVar: 'PROFILE_DATABASE_URL', module: (env) => AppModule.forRoot(loadProfileConfig(env), env), bus: profileBus(), cleanupStreams: PROFILE_STREAMS },
      { PROFILE_MAX_ITEMS_PER_NODE: '3', PROFILE_MAX_NODES: '4', PROFILE_MAX_PRIVATE_NAMESPACES: '2' },
    );
    h.bus.subscribeRaw(RosterSubjects.login, (m) => {
      const q = JSON.parse(new TextDecoder().decode(m.data)) as { user: string };
      const data = rosters.get(q.user) ?? { ver: '1', items: [], probe: [], broadcast: [], pendingIn: [], blocked: [] };
      m.respond(enc.encode(JSON.stringify({ ok: true, data })));
    });
    h.bus.subscribe<PepNotificationV1>(ProfileEvents.notify, (n) => void notes.push(n));
    rosters.set(alice, { ver: '1', items: [{ jid: bob, subscription: 'both', groups: [] }, { jid: carol, subscription: 'to', groups: [] }] as never, probe: [bob, carol], broadcast: [bob], pendingIn: [], blocked: [] });
    rosters.set(bob, { ver: '1', items: [{ jid: alice, subscription: 'both', groups: [] }] as never, probe: [alice], broadcast: [alice], pendingIn: [], blocked: [] });
  });
  afterAll(() => h?.close());

  const ask = <T>(subject: string, data: object) => h.bus.request<T>(subject, data);

  it('publishes, notifies the owner and presence subscribers, keeps max_items, answers items by access', async () => {
    notes.length = 0;
    const r = await ask<PepPublishResult>(ProfileSubjects.publish, { owner: alice, node: NICK, item: { id: 'a', payload: nick('one') } });
    expect(r).toEqual({ ok: true, id: 'a' });
    await waitFor(() => notes.length === 1);
    expect(notes[0]).toMatchObject({ publisher: alice, node: NICK, kind: 'items', item: { id: 'a' } });
    expect(notes[0].recipients.sort()).toEqual([alice, bob]);
    // default max_items 1: the newer replaces
    await ask(ProfileSubjects.publish, { owner: alice, node: NICK, item: { id: 'b', payload: nick('two') } });
    expect(await ask<PepItemsResult>(ProfileSubjects.items, { owner: alice, requester: bob, node: NICK })).toEqual({ ok: true, items: [{ id: 'b', payload: nick('two') }] });
    expect(await ask<PepItemsResult>(ProfileSubjects.items, { owner: alice, requester: carol, node: NICK })).toEqual({ ok: false, refusal: expect.objectContaining({ pubsub: 'presence-subscription-required' }) });
    // a node of three items, oldest dropped
    for (const id of ['1', '2', '3', '4']) await ask(ProfileSubjects.publish, { owner: alice, node: 'urn:x', item: { id, payload: "<x xmlns='urn:x'/>" }, options: { 'pubsub#max_items': ['max'], 'pubsub#access_model': ['open'] } });
    const items = await ask<PepItemsResult>(ProfileSubjects.items, { owner: alice, requester: carol, node: 'urn:x' });
    expect(items.ok && items.items.map((i) => i.id)).toEqual(['4', '3', '2']);
    expect(await ask<PepPublishResult>(ProfileSubjects.publish, { owner: alice, node: 'urn:x', item: { payload: "<x xmlns='urn:x'/>" }, options: { 'pubsub#access_model': ['presence'] } })).toEqual({
      ok: false,
      refusal: expect.objectContaining({ condition: 'conflict', pubsub: 'precondition-not-met' }),
    });
    expect(await ask<PepNodesResult>(ProfileSubjects.nodes, { owner: alice, requester: carol })).toEqual({ nodes: ['urn:x'] });
    // reconfigured: fewer items kept at once, and presence access
    expect(await ask<PepOutcome>(ProfileSubjects.configureNode, { owner: alice, node: 'urn:x', options: { 'pubsub#max_items': ['2'], 'pubsub#access_model': ['presence'] } })).toEqual({ ok: true });
    const after = await ask<PepItemsResult>(ProfileSubjects.items, { owner: alice, requester: bob, node: 'urn:x' });
    expect(after.ok && after.items.map((i) => i.id)).toEqual(['4', '3']);
    expect(await ask<PepNodeConfigResult>(ProfileSubjects.nodeConfig, { owner: alice, node: 'urn:x' })).toEqual({ ok: true, config: expect.objectContaining({ accessModel: 'presence', maxItems: 2 }), maxItemsLimit: 3 });
    expect(await ask<PepOutcome>(ProfileSubjects.configureNode, { owner: alice, node: 'urn:none', options: {} })).toEqual({ ok: false, refusal: { condition: 'item-not-found' } });
    await ask(ProfileSubjects.configureNode, { owner: alice, node: 'urn:x', options: { 'pubsub#access_model': ['open'] } });
    expect((await ask<PepNodesResult>(ProfileSubjects.nodes, { owner: alice, requester: bob })).nodes.sort()).toEqual([NICK, 'urn:x']);
  });

  it('limits nodes per user and item size; retracts and deletes with notifications', async () => {
    for (const n of ['n1', 'n2']) await ask(ProfileSubjects.publish, { owner: bob, node: n, item: { payload: "<x xmlns='urn:x'/>" } });
    await ask(ProfileSubjects.publish, { owner: bob, node: 'n3', item: { id: 'k', payload: "<x xmlns='urn:x'/>" } });
    await ask(ProfileSubjects.publish, { owner: bob, node: 'n4', item: { payload: "<x xmlns='urn:x'/>" } });
    expect(await ask<PepPublishResult>(ProfileSubjects.publish, { owner: bob, node: 'n5', item: { payload: "<x xmlns='urn:x'/>" } })).toEqual({ ok: false, refusal: expect.objectContaining({ condition: 'resource-constraint' }) });
    const big = `<x xmlns='urn:x'>${'y'.repeat(200_000)}</x>`;
    expect(await ask<PepPublishResult>(ProfileSubjects.publish, { owner: bob, node: 'n1', item: { payload: big } })).toEqual({ ok: false, refusal: expect.objectContaining({ pubsub: 'payload-too-big' }) });
    notes.length = 0;
    expect(await ask<PepOutcome>(ProfileSubjects.retract, { owner: bob, node: 'n3', id: 'k', notify: true })).toEqual({ ok: true });
    expect(await ask<PepOutcome>(ProfileSubjects.retract, { owner: bob, node: 'n3', id: 'k', notify: true })).toEqual({ ok: false, refusal: { condition: 'item-not-found' } });
    expect(await ask<PepOutcome>(ProfileSubjects.deleteNode, { owner: bob, node: 'n3' })).toEqual({ ok: true });
    await waitFor(() => notes.length === 2);
    expect(notes.map((n) => n.kind)).toEqual(['retract', 'delete']);
  });

  it('answers the last items a new session is owed, by access', async () => {
    await ask(ProfileSubjects.publish, { owner: bob, node: NICK, item: { id: 'bob', payload: nick('Bob') } });
    await ask(ProfileSubjects.publish, { owner: bob, node: 'urn:secret', item: { id: 's', payload: "<x xmlns='urn:x'/>" }, options: { 'pubsub#access_model': ['whitelist'] } });
    const r = await ask<PepLastItemsResult>(ProfileSubjects.lastItems, { user: alice, nodes: [NICK, 'urn:secret'] });
    expect(r.items.map((i) => `${i.publisher} ${i.node} ${i.item.id}`).sort()).toEqual([`${alice} ${NICK} b`, `${bob} ${NICK} bob`]);
    // carol has no subscription from bob: nothing of his
    const c = await ask<PepLastItemsResult>(ProfileSubjects.lastItems, { user: carol, nodes: [NICK], publishers: [bob] });
    expect(c.items).toEqual([]);
  });

  it('converts a vCard PHOTO to the PEP avatar and back', async () => {
    const png = Buffer.from('png bytes').toString('base64');
    const sha = createHash('sha1').update(Buffer.from('png bytes')).digest('hex');
    const set = await ask<SetVCardResult>(ProfileSubjects.setVCard, { owner: carol, vcard: `<vCard xmlns='vcard-temp'><FN>C</FN><PHOTO><TYPE>image/png</TYPE><BINVAL>${png}</BINVAL></PHOTO></vCard>` });
    expect(set).toEqual({ photoHash: sha });
    const meta = await ask<PepItemsResult>(ProfileSubjects.items, { owner: carol, requester: carol, node: 'urn:xmpp:avatar:metadata' });
    expect(meta.ok && meta.items[0].id).toBe(sha);
    // an empty metadata removes the PHOTO and the hash
    await ask(ProfileSubjects.publish, { owner: carol, node: 'urn:xmpp:avatar:metadata', item: { id: 'none', payload: "<metadata xmlns='urn:xmpp:avatar:metadata'/>" } });
    expect(await ask<AvatarHashResult>(ProfileSubjects.avatarHash, { owner: carol })).toEqual({ photoHash: '' });
    await expect(ask(ProfileSubjects.setVCard, { owner: carol, vcard: `<vCard xmlns='vcard-temp'><NOTE>${'n'.repeat(140_000)}</NOTE></vCard>` })).rejects.toThrow(/not-acceptable/);
    await expect(ask(ProfileSubjects.setVCard, { owner: carol, vcard: "<vCard xmlns='urn:wrong'/>" })).rejects.toThrow(/bad-request/);
    const v = await ask<VCardResult>(ProfileSubjects.getVCard, { owner: carol });
    expect(v.vcard).toContain('<FN>C</FN>');
    expect(v.vcard).not.toContain('PHOTO');
  });

  it('keeps private XML per namespace within the limit; caches caps', async () => {
    await ask(ProfileSubjects.setPrivate, { owner: alice, items: [{ ns: 'urn:a', xml: "<a xmlns='urn:a'>1</a>" }, { ns: 'urn:b', xml: "<b xmlns='urn:b'/>" }] });
    await expect(ask(ProfileSubjects.setPrivate, { owner: alice, items: [{ ns: 'urn:c', xml: "<c xmlns='urn:c'/>" }] })).rejects.toThrow(/resource-constraint/);
    await expect(ask(ProfileSubjects.setPrivate, { owner: alice, items: [{ ns: 'urn:c', xml: "<c xmlns='urn:other'/>" }] })).rejects.toThrow(/bad-request/);
    expect(await ask(ProfileSubjects.getPrivate, { owner: alice, ns: 'urn:a' })).toEqual({ xml: "<a xmlns='urn:a'>1</a>" });
    expect(await ask(ProfileSubjects.getPrivate, { owner: bob, ns: 'urn:a' })).toEqual({});
    expect(await ask<CapsResult>(ProfileSubjects.getCaps, { key: 'sha-1:abc' })).toEqual({});
    await ask(ProfileSubjects.putCaps, { key: 'sha-1:abc', features: ['f1', 'f2'] });
    expect(await ask<CapsResult>(ProfileSubjects.getCaps, { key: 'sha-1:abc' })).toEqual({ features: ['f1', 'f2'] });
  });

  it('erases everything of a deleted account', async () => {
    await ask(ProfileSubjects.setVCard, { owner: alice, vcard: "<vCard xmlns='vcard-temp'><FN>A</FN></vCard>" });
    const count = async () => (await h.sql<{ n: number }>(`SELECT (SELECT count(*) FROM vcards WHERE owner = $1) + (SELECT count(*) FROM private_xml WHERE owner = $1) + (SELECT count(*) FROM pep_nodes WHERE owner = $1) + (SELECT count(*) FROM pep_items WHERE owner = $1) AS n`, [alice]))[0].n;
    expect(Number(await count())).toBeGreaterThan(0);
    await h.bus.publishEvent(envelope(GatewayEvents.accountDeleted, { jid: alice, reason: 'user' } satisfies AccountDeletedV1));
    await waitFor(async () => Number(await count()) === 0, { what: 'alice erased' });
    expect(Number((await h.sql<{ n: number }>(`SELECT count(*) AS n FROM pep_nodes WHERE owner = $1`, [bob]))[0].n)).toBeGreaterThan(0);
  });
});
