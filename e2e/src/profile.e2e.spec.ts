// End-to-end: the profile service — vcard-temp (XEP-0054), private XML (XEP-0049), PEP
// (XEP-0163) with caps (XEP-0115), publish-options (XEP-0223), avatars both ways
// (XEP-0084/0153/0398), Bookmarks 2 (XEP-0402), OMEMO device lists and bundles, nicknames
// (XEP-0172) — on two real gateways with the real roster and profile services and real
// clients. Absence of a notification is checked after a ping round trip on the same
// stream (anything sent before the ping's answer would have arrived first); no sleeps.
import { capsVer } from '@parley/xep';
import { GatewayProcess, TestClient, xml } from '@parley/testing-xmpp';
import { waitFor } from '@parley/testing-stack';
import { createHash } from 'node:crypto';
import { Client } from 'pg';
import { befriend, E2EStack, e2eUsers, startStack } from './stack';

jest.setTimeout(240_000);

const PASSWORD = 'correct horse battery';
const WAIT = 20_000;
const DISCO_INFO = 'http://jabber.org/protocol/disco#info';
const CAPS = 'http://jabber.org/protocol/caps';
const PUBSUB = 'http://jabber.org/protocol/pubsub';
const PUBSUB_EVENT = 'http://jabber.org/protocol/pubsub#event';
const PUBSUB_OWNER = 'http://jabber.org/protocol/pubsub#owner';
const PUBSUB_ERRORS = 'http://jabber.org/protocol/pubsub#errors';
const NICK = 'http://jabber.org/protocol/nick';
const BOOKMARKS = 'urn:xmpp:bookmarks:1';
const DEVICELIST = 'eu.siacs.conversations.axolotl.devicelist';
const AXOLOTL = 'eu.siacs.conversations.axolotl';
const AVATAR_DATA = 'urn:xmpp:avatar:data';
const AVATAR_META = 'urn:xmpp:avatar:metadata';
const VCARD = 'vcard-temp';
const PRIVATE = 'jabber:iq:private';
// a 1x1 PNG
const PNG = 'iVBORw0KGgoAAAANSUhEUgAAAAEAAAABCAYAAAAfFcSJAAAADUlEQVR42mP8z8BQDwAEhQGAhKmMIQAAAABJRU5ErkJggg==';
const PNG_SHA1 = createHash('sha1').update(Buffer.from(PNG, 'base64')).digest('hex');

type Stanza = TestClient['received'][number];
const elems = (el: Stanza): Stanza[] => el.children.filter((c): c is Stanza => typeof c !== 'string');

describe('profile: vCards, private XML and PEP, end to end', () => {
  let stack: E2EStack;
  let gw1: GatewayProcess;
  let gw2: GatewayProcess;
  const { clients, accounts, jid, login } = e2eUsers(PASSWORD, () => gw1.starttlsPort);

  beforeAll(async () => {
    stack = await startStack('profile');
    await stack.startService('roster');
    await stack.startService('profile', { PROFILE_MAX_ITEM_BYTES: '4KiB', PROFILE_MAX_NODES: '8' });
    gw1 = await stack.startGateway();
    gw2 = await stack.startGateway();
  });

  afterEach(async () => {
    await Promise.all(clients.splice(0).map((c) => c.stop()));
  });

  afterAll(async () => {
    await stack?.stop();
  });

  const iq = (c: TestClient, type: 'get' | 'set', to: string | undefined, payload: ReturnType<typeof xml>) => c.iq(xml('iq', { type, to }, payload), WAIT);
  /** The error of a failing IQ: [condition, pubsub condition]. */
  const iqError = async (c: TestClient, type: 'get' | 'set', to: string | undefined, payload: ReturnType<typeof xml>): Promise<[string, string | undefined]> => {
    const id = `e${Math.random().toString(36).slice(2)}`;
    await c.send(xml('iq', { type, to, id }, payload));
    const r = await c.waitFor((s) => s.is('iq') && s.attrs.id === id, `answer ${id}`, WAIT);
    expect(r.attrs.type).toBe('error');
    const err = r.getChild('error')!;
    const kids = elems(err);
    return [kids.find((k) => k.attrs.xmlns === 'urn:ietf:params:xml:ns:xmpp-stanzas' && k.name !== 'text')!.name, kids.find((k) => k.attrs.xmlns === PUBSUB_ERRORS)?.name];
  };
  const ping = (c: TestClient) => iq(c, 'get', 'localhost', xml('ping', { xmlns: 'urn:xmpp:ping' }));
  const bare = (c: TestClient) => c.jid.split('/')[0];

  /** Logs in without presence, answers caps queries, then sends presence with caps asking `+notify` for `nodes`. */
  const loginWithCaps = async (gw: GatewayProcess, user: string, nodes: string[], resource?: string): Promise<TestClient> => {
    const c = await login(gw, user, { presence: false, resource });
    const features = [DISCO_INFO, CAPS, ...nodes.map((n) => `${n}+notify`)];
    const identities = [{ category: 'client', type: 'pc', name: 'parley-e2e' }];
    const ver = capsVer({ identities, features, forms: [] }, 'sha-1')!;
    const node = 'https://parley.example/e2e';
    (c.xmpp as unknown as { iqCallee: { get(ns: string, name: string, h: () => Stanza): void } }).iqCallee.get(DISCO_INFO, 'query', () =>
      xml('query', { xmlns: DISCO_INFO, node: `${node}#${ver}` }, ...identities.map((i) => xml('identity', i)), ...features.map((f) => xml('feature', { var: f }))),
    );
    await c.send(xml('presence', {}, xml('c', { xmlns: CAPS, hash: 'sha-1', node, ver })));
    return c;
  };


  const publish = (c: TestClient, node: string, id: string | undefined, payload: ReturnType<typeof xml>, options?: Record<string, string>) =>
    iq(
      c,
      'set',
      undefined,
      xml(
        'pubsub',
        { xmlns: PUBSUB },
        xml('publish', { node }, xml('item', id ? { id } : {}, payload)),
        options
          ? xml(
              'publish-options',
              {},
              xml(
                'x',
                { xmlns: 'jabber:x:data', type: 'submit' },
                xml('field', { var: 'FORM_TYPE', type: 'hidden' }, xml('value', {}, 'http://jabber.org/protocol/pubsub#publish-options')),
                ...Object.entries(options).map(([k, v]) => xml('field', { var: k }, xml('value', {}, v))),
              ),
            )
          : undefined,
      ),
    );
  const items = async (c: TestClient, owner: string | undefined, node: string) =>
    (await iq(c, 'get', owner, xml('pubsub', { xmlns: PUBSUB }, xml('items', { node })))).getChild('items')!.getChildren('item');
  /** A notification of `node` from `from`, received after `since` (an index in c.received). */
  const event = (c: TestClient, from: string, node: string, pred: (items: Stanza) => boolean = () => true, since = 0) =>
    c.waitFor(
      (s) => {
        if (c.received.indexOf(s) < since || !s.is('message') || s.attrs.from !== from || s.attrs.type !== 'headline') return false;
        const ev = s.getChild('event', PUBSUB_EVENT);
        const its = ev?.getChild('items') ?? ev?.getChild('delete');
        return its?.attrs.node === node && pred(its);
      },
      `${node} notification from ${from}`,
      WAIT,
    );
  const eventsFrom = (c: TestClient, from: string) => c.received.filter((s) => s.is('message') && s.attrs.from === from && s.getChild('event', PUBSUB_EVENT));
  const nickOf = (its: Stanza) => its.getChild('item')?.getChild('nick', NICK)?.text();

  it('vCards: set one\'s own, read anyone\'s from the other gateway, update it; nobody writes another\'s', async () => {
    const [ann, ben] = await accounts('vAnn', 'vBen');
    const a = await login(gw1, ann);
    const b = await login(gw2, ben);
    // nothing stored yet: an empty vCard
    expect(elems(await iq(b, 'get', jid(ann), xml('vCard', { xmlns: VCARD })))).toEqual([]);
    await iq(a, 'set', undefined, xml('vCard', { xmlns: VCARD }, xml('FN', {}, 'Ann Example'), xml('NICKNAME', {}, 'ann')));
    expect((await iq(b, 'get', jid(ann), xml('vCard', { xmlns: VCARD }))).getChildText('FN')).toBe('Ann Example');
    expect((await iq(a, 'get', undefined, xml('vCard', { xmlns: VCARD }))).getChildText('NICKNAME')).toBe('ann');
    await iq(a, 'set', undefined, xml('vCard', { xmlns: VCARD }, xml('FN', {}, 'Ann Updated')));
    const v = await iq(b, 'get', jid(ann), xml('vCard', { xmlns: VCARD }));
    expect(v.getChildText('FN')).toBe('Ann Updated');
    expect(v.getChild('NICKNAME')).toBeUndefined();
    expect((await iqError(b, 'set', jid(ann), xml('vCard', { xmlns: VCARD }, xml('FN', {}, 'Mallory'))))[0]).toBe('forbidden');
    expect((await iq(b, 'get', jid(ann), xml('vCard', { xmlns: VCARD }))).getChildText('FN')).toBe('Ann Updated');
  });

  it('private XML: per namespace, only the owner reads or writes, and errors leak nothing', async () => {
    const [pia, pete] = await accounts('pPia', 'pPete');
    const a = await login(gw1, pia);
    const b = await login(gw2, pete);
    await iq(a, 'set', undefined, xml('query', { xmlns: PRIVATE }, xml('storage', { xmlns: 'storage:bookmarks' }, xml('conference', { jid: 'room@muc.example', autojoin: 'true' })), xml('prefs', { xmlns: 'urn:example:prefs' }, xml('color', {}, 'blue'))));
    const got = await iq(a, 'get', undefined, xml('query', { xmlns: PRIVATE }, xml('storage', { xmlns: 'storage:bookmarks' })));
    expect(got.getChild('storage', 'storage:bookmarks')!.getChild('conference')!.attrs.jid).toBe('room@muc.example');
    expect((await iq(a, 'get', undefined, xml('query', { xmlns: PRIVATE }, xml('prefs', { xmlns: 'urn:example:prefs' })))).getChild('prefs')!.getChildText('color')).toBe('blue');
    // the other user: forbidden, whether the namespace is stored or not
    expect((await iqError(b, 'get', jid(pia), xml('query', { xmlns: PRIVATE }, xml('storage', { xmlns: 'storage:bookmarks' }))))[0]).toBe('forbidden');
    expect((await iqError(b, 'get', jid(pia), xml('query', { xmlns: PRIVATE }, xml('nothing', { xmlns: 'urn:example:none' }))))[0]).toBe('forbidden');
    expect((await iqError(b, 'set', jid(pia), xml('query', { xmlns: PRIVATE }, xml('storage', { xmlns: 'storage:bookmarks' }))))[0]).toBe('forbidden');
    // pete's own namespace is his, and empty
    const own = await iq(b, 'get', undefined, xml('query', { xmlns: PRIVATE }, xml('storage', { xmlns: 'storage:bookmarks' })));
    expect(elems(own.getChild('storage', 'storage:bookmarks')!)).toEqual([]);
    expect((await iqError(b, 'set', undefined, xml('query', { xmlns: PRIVATE }, xml('x', { xmlns: PRIVATE }))))[0]).toBe('not-acceptable');
    // pia's data is unchanged
    expect((await iq(a, 'get', undefined, xml('query', { xmlns: PRIVATE }, xml('storage', { xmlns: 'storage:bookmarks' })))).getChild('storage')!.getChildren('conference')).toHaveLength(1);
  });

  it('PEP: the account is a pep service; a publish reaches a subscribed contact with +notify on the other gateway and the owner, not a stranger', async () => {
    const [ada, bob, cyd] = await accounts('nAda', 'nBob', 'nCyd');
    const a = await loginWithCaps(gw1, ada, [NICK]);
    const b = await loginWithCaps(gw2, bob, [NICK]);
    const c = await loginWithCaps(gw2, cyd, [NICK]);
    const info = await iq(a, 'get', jid(ada), xml('query', { xmlns: DISCO_INFO }));
    expect(info.getChildren('identity').map((i) => `${i.attrs.category}/${i.attrs.type}`)).toContain('pubsub/pep');
    expect(info.getChildren('feature').map((f) => f.attrs.var)).toEqual(expect.arrayContaining([`${PUBSUB}#publish`, `${PUBSUB}#publish-options`, 'urn:xmpp:pep-vcard-conversion:0']));
    await befriend(a, b);
    // the caps are verified and known before the publish (a ping after the presence is not enough: the disco round trip runs beside)
    await waitFor(async () => {
      const before = eventsFrom(b, jid(ada)).length;
      await publish(a, NICK, 'current', xml('nick', { xmlns: NICK }, `Ada ${before}`));
      return eventsFrom(b, jid(ada)).length > before || undefined;
    }, { what: 'bob to get notifications', timeoutMs: WAIT, intervalMs: 500 });
    const since = b.received.length;
    const aSince = a.received.length;
    await publish(a, NICK, 'current', xml('nick', { xmlns: NICK }, 'Ada Lovelace'));
    await event(b, jid(ada), NICK, (its) => nickOf(its) === 'Ada Lovelace', since);
    await event(a, jid(ada), NICK, (its) => nickOf(its) === 'Ada Lovelace', aSince);
    await ping(c);
    expect(eventsFrom(c, jid(ada))).toEqual([]);
    // items: the contact may read (presence access), the stranger may not
    expect((await items(b, jid(ada), NICK)).map((i) => i.getChildText('nick', NICK))).toEqual(['Ada Lovelace']);
    expect(await iqError(c, 'get', jid(ada), xml('pubsub', { xmlns: PUBSUB }, xml('items', { node: NICK })))).toEqual(['not-authorized', 'presence-subscription-required']);
    expect(await iqError(c, 'get', jid(ada), xml('pubsub', { xmlns: PUBSUB }, xml('items', { node: 'urn:example:none' })))).toEqual(['item-not-found', undefined]);
    // only the owner publishes
    expect((await iqError(c, 'set', jid(ada), xml('pubsub', { xmlns: PUBSUB }, xml('publish', { node: NICK }, xml('item', {}, xml('nick', { xmlns: NICK }, 'x'))))))[0]).toBe('forbidden');
    // the last item reaches a new session of the contact at login
    const b2 = await loginWithCaps(gw1, bob, [NICK], 'second');
    await event(b2, jid(ada), NICK, (its) => nickOf(its) === 'Ada Lovelace');
    // retract with notify, then delete the node
    const rSince = b.received.length;
    await iq(a, 'set', undefined, xml('pubsub', { xmlns: PUBSUB }, xml('retract', { node: NICK, notify: 'true' }, xml('item', { id: 'current' }))));
    await event(b, jid(ada), NICK, (its) => its.getChild('retract')?.attrs.id === 'current', rSince);
    await iq(a, 'set', undefined, xml('pubsub', { xmlns: PUBSUB_OWNER }, xml('delete', { node: NICK })));
    await event(b, jid(ada), NICK, (its) => its.name === 'delete', rSince);
    expect(await iqError(b, 'get', jid(ada), xml('pubsub', { xmlns: PUBSUB }, xml('items', { node: NICK })))).toEqual(['item-not-found', undefined]);
  });

  /** Waits until `c` gets notifications of its own `node` (its caps are known), publishing to it meanwhile. */
  const ownNotifications = (c: TestClient, node: string) =>
    waitFor(async () => {
      const before = eventsFrom(c, bare(c)).length;
      await publish(c, node, 'probe', xml('probe', { xmlns: 'urn:example:probe' }));
      return eventsFrom(c, bare(c)).length > before || undefined;
    }, { what: `${c.jid} to get ${node} notifications`, timeoutMs: WAIT, intervalMs: 300 });
  const discoQueries = (c: TestClient) => c.received.filter((s) => s.is('iq') && s.attrs.type === 'get' && s.attrs.from === 'localhost' && s.getChild('query', DISCO_INFO));

  it('caps: verified once, then shared with the other gateway through the profile service', async () => {
    const [pam, quinn] = await accounts('cPam', 'cQuinn');
    const node = `urn:example:shared:${Date.now()}`;
    const p = await loginWithCaps(gw1, pam, [node]);
    await ownNotifications(p, node);
    expect(discoQueries(p)).toHaveLength(1);
    const q = await loginWithCaps(gw2, quinn, [node]);
    await ownNotifications(q, node);
    expect(discoQueries(q)).toEqual([]);
  });

  it('a new presence subscription brings the last item; disco#items lists the nodes the requester may see', async () => {
    const [rae, sam] = await accounts('sRae', 'sSam');
    const r = await loginWithCaps(gw1, rae, [NICK]);
    const z = await loginWithCaps(gw2, sam, [NICK]);
    await ownNotifications(z, NICK);
    await publish(r, NICK, 'current', xml('nick', { xmlns: NICK }, 'Rae'));
    await publish(r, BOOKMARKS, 'x@muc.example', xml('conference', { xmlns: BOOKMARKS }), { 'pubsub#access_model': 'whitelist' });
    const nodes = async (c: TestClient) => (await iq(c, 'get', jid(rae), xml('query', { xmlns: 'http://jabber.org/protocol/disco#items' }))).getChildren('item').map((i) => i.attrs.node).sort();
    expect(await nodes(z)).toEqual([]);
    expect(await nodes(r)).toEqual([BOOKMARKS, NICK].sort());
    await befriend(r, z);
    await event(z, jid(rae), NICK, (its) => nickOf(its) === 'Rae');
    expect(await nodes(z)).toEqual([NICK]);
  });

  it('Bookmarks 2: whitelist node with publish-options, notifications to the owner only, preconditions, max_items', async () => {
    const [eve, fay] = await accounts('bEve', 'bFay');
    const e1 = await loginWithCaps(gw1, eve, [BOOKMARKS], 'one');
    const e2 = await loginWithCaps(gw2, eve, [BOOKMARKS], 'two');
    const f = await loginWithCaps(gw2, fay, [BOOKMARKS]);
    await befriend(e1, f);
    const opts = { 'pubsub#persist_items': 'true', 'pubsub#access_model': 'whitelist', 'pubsub#send_last_published_item': 'never', 'pubsub#max_items': 'max' };
    const conf = (room: string, name: string) => xml('conference', { xmlns: BOOKMARKS, name, autojoin: 'true' }, xml('nick', {}, 'eve'));
    await waitFor(async () => {
      const before = eventsFrom(e2, jid(eve)).length;
      await publish(e1, BOOKMARKS, 'lobby@muc.example', conf('lobby', 'Lobby'), opts);
      return eventsFrom(e2, jid(eve)).length > before || undefined;
    }, { what: 'the other resource to get notifications', timeoutMs: WAIT, intervalMs: 500 });
    const since = e2.received.length;
    await publish(e1, BOOKMARKS, 'garden@muc.example', conf('garden', 'Garden'), opts);
    await event(e2, jid(eve), BOOKMARKS, (its) => its.getChild('item')?.attrs.id === 'garden@muc.example', since);
    await ping(f);
    expect(eventsFrom(f, jid(eve))).toEqual([]);
    // both kept (max_items = max), newest first
    expect((await items(e2, undefined, BOOKMARKS)).map((i) => i.attrs.id)).toEqual(['garden@muc.example', 'lobby@muc.example']);
    // a subscribed contact is refused by the whitelist
    expect(await iqError(f, 'get', jid(eve), xml('pubsub', { xmlns: PUBSUB }, xml('items', { node: BOOKMARKS })))).toEqual(['not-allowed', 'closed-node']);
    // preconditions: the node is whitelist, asking for open fails and changes nothing
    const bad = xml('pubsub', { xmlns: PUBSUB }, xml('publish', { node: BOOKMARKS }, xml('item', { id: 'x@muc.example' }, conf('x', 'X'))), xml('publish-options', {}, xml('x', { xmlns: 'jabber:x:data', type: 'submit' }, xml('field', { var: 'FORM_TYPE', type: 'hidden' }, xml('value', {}, 'http://jabber.org/protocol/pubsub#publish-options')), xml('field', { var: 'pubsub#access_model' }, xml('value', {}, 'open')))));
    expect(await iqError(e1, 'set', undefined, bad)).toEqual(['conflict', 'precondition-not-met']);
    expect(await items(e1, undefined, BOOKMARKS)).toHaveLength(2);
    // retract one
    await iq(e1, 'set', undefined, xml('pubsub', { xmlns: PUBSUB }, xml('retract', { node: BOOKMARKS, notify: '1' }, xml('item', { id: 'lobby@muc.example' }))));
    await event(e2, jid(eve), BOOKMARKS, (its) => its.getChild('retract')?.attrs.id === 'lobby@muc.example', since);
    expect((await items(e1, undefined, BOOKMARKS)).map((i) => i.attrs.id)).toEqual(['garden@muc.example']);
  });

  it('OMEMO: device list and bundle with open access, read by a stranger; notifications to the contact', async () => {
    const [gus, hal, ivy] = await accounts('oGus', 'oHal', 'oIvy');
    const g = await loginWithCaps(gw1, gus, [DEVICELIST]);
    const h = await loginWithCaps(gw2, hal, [DEVICELIST]);
    const i = await login(gw1, ivy);
    await befriend(g, h);
    const list = (...ids: number[]) => xml('list', { xmlns: AXOLOTL }, ...ids.map((id) => xml('device', { id: String(id) })));
    // as Conversations does: the node exists with the default (presence) access, so publishing
    // with access_model=open fails its precondition; reconfigure the node, then publish again
    await publish(g, DEVICELIST, 'current', list(1111));
    const openDevices = xml('pubsub', { xmlns: PUBSUB }, xml('publish', { node: DEVICELIST }, xml('item', { id: 'current' }, list(1111))), xml('publish-options', {}, xml('x', { xmlns: 'jabber:x:data', type: 'submit' }, xml('field', { var: 'FORM_TYPE', type: 'hidden' }, xml('value', {}, 'http://jabber.org/protocol/pubsub#publish-options')), xml('field', { var: 'pubsub#access_model' }, xml('value', {}, 'open')))));
    expect(await iqError(g, 'set', undefined, openDevices)).toEqual(['conflict', 'precondition-not-met']);
    expect(await iqError(i, 'get', jid(gus), xml('pubsub', { xmlns: PUBSUB }, xml('items', { node: DEVICELIST })))).toEqual(['not-authorized', 'presence-subscription-required']);
    const form = await iq(g, 'get', undefined, xml('pubsub', { xmlns: PUBSUB_OWNER }, xml('configure', { node: DEVICELIST })));
    const field = (v: string) => form.getChild('configure')!.getChild('x', 'jabber:x:data')!.getChildren('field').find((f) => f.attrs.var === v)!;
    expect(field('pubsub#access_model').getChildText('value')).toBe('presence');
    await iq(g, 'set', undefined, xml('pubsub', { xmlns: PUBSUB_OWNER }, xml('configure', { node: DEVICELIST }, xml('x', { xmlns: 'jabber:x:data', type: 'submit' }, xml('field', { var: 'FORM_TYPE', type: 'hidden' }, xml('value', {}, 'http://jabber.org/protocol/pubsub#node_config')), xml('field', { var: 'pubsub#access_model' }, xml('value', {}, 'open'))))));
    await iq(g, 'set', undefined, openDevices);
    expect(await items(i, jid(gus), DEVICELIST)).toHaveLength(1);
    await waitFor(async () => {
      const before = eventsFrom(h, jid(gus)).length;
      await publish(g, DEVICELIST, 'current', list(1111), { 'pubsub#access_model': 'open' });
      return eventsFrom(h, jid(gus)).length > before || undefined;
    }, { what: 'hal to get device list notifications', timeoutMs: WAIT, intervalMs: 500 });
    const since = h.received.length;
    await publish(g, DEVICELIST, 'current', list(1111, 2222), { 'pubsub#access_model': 'open' });
    const ev = await event(h, jid(gus), DEVICELIST, (its) => its.getChild('item')!.getChild('list', AXOLOTL)!.getChildren('device').length === 2, since);
    expect(ev.getChild('event', PUBSUB_EVENT)!.getChild('items')!.getChild('item')!.getChild('list')!.getChildren('device').map((d) => d.attrs.id)).toEqual(['1111', '2222']);
    const bundleNode = `${AXOLOTL}.bundles:2222`;
    await publish(g, bundleNode, 'current', xml('bundle', { xmlns: AXOLOTL }, xml('signedPreKeyPublic', { signedPreKeyId: '1' }, 'BWJhc2U2NA==')), { 'pubsub#access_model': 'open' });
    // a stranger (no subscription) reads both: open access
    const devices = await items(i, jid(gus), DEVICELIST);
    expect(devices[0].getChild('list', AXOLOTL)!.getChildren('device').map((d) => d.attrs.id)).toEqual(['1111', '2222']);
    const bundle = await items(i, jid(gus), bundleNode);
    expect(bundle[0].getChild('bundle', AXOLOTL)!.getChildText('signedPreKeyPublic')).toBe('BWJhc2U2NA==');
  });

  it('avatars: a vCard PHOTO becomes the PEP avatar and the presence hash; a PEP avatar becomes the vCard PHOTO', async () => {
    const [jo, kim] = await accounts('aJo', 'aKim');
    const j = await loginWithCaps(gw1, jo, [AVATAR_META]);
    const k = await loginWithCaps(gw2, kim, [AVATAR_META]);
    await befriend(j, k);
    // kim's caps are known once an (empty: no avatar, XEP-0084 §4.2) metadata reaches her
    await waitFor(async () => {
      const before = eventsFrom(k, jid(jo)).length;
      await publish(j, AVATAR_META, 'none', xml('metadata', { xmlns: AVATAR_META }));
      return eventsFrom(k, jid(jo)).length > before || undefined;
    }, { what: 'kim to get avatar notifications', timeoutMs: WAIT, intervalMs: 500 });
    // vCard → PEP (XEP-0398 §4)
    await iq(j, 'set', undefined, xml('vCard', { xmlns: VCARD }, xml('FN', {}, 'Jo'), xml('PHOTO', {}, xml('TYPE', {}, 'image/png'), xml('BINVAL', {}, PNG))));
    const meta = await event(k, jid(jo), AVATAR_META, (its) => its.getChild('item')?.attrs.id === PNG_SHA1);
    expect(meta.getChild('event')!.getChild('items')!.getChild('item')!.getChild('metadata', AVATAR_META)!.getChild('info')!.attrs).toMatchObject({ id: PNG_SHA1, type: 'image/png' });
    const data = await iq(k, 'get', jid(jo), xml('pubsub', { xmlns: PUBSUB }, xml('items', { node: AVATAR_DATA }, xml('item', { id: PNG_SHA1 }))));
    expect(data.getChild('items')!.getChild('item')!.getChildText('data', AVATAR_DATA)).toBe(PNG);
    // XEP-0153: jo's presence now carries the hash
    await j.send(xml('presence', {}, xml('status', {}, 'with avatar')));
    const p = await k.waitFor((s) => s.is('presence') && s.attrs.from === j.jid && s.getChildText('status') === 'with avatar', 'jo presence', WAIT);
    expect(p.getChild('x', 'vcard-temp:x:update')!.getChildText('photo')).toBe(PNG_SHA1);
    // PEP → vCard (XEP-0398 §3): kim publishes data then metadata
    const other = Buffer.from('not really a png, but bytes').toString('base64');
    const otherSha = createHash('sha1').update(Buffer.from(other, 'base64')).digest('hex');
    await publish(k, AVATAR_DATA, otherSha, xml('data', { xmlns: AVATAR_DATA }, other));
    await publish(k, AVATAR_META, otherSha, xml('metadata', { xmlns: AVATAR_META }, xml('info', { id: otherSha, type: 'image/jpeg', bytes: '27' })));
    const v = await iq(j, 'get', jid(kim), xml('vCard', { xmlns: VCARD }));
    expect(v.getChild('PHOTO')!.getChildText('BINVAL')).toBe(other);
    expect(v.getChild('PHOTO')!.getChildText('TYPE')).toBe('image/jpeg');
  });

  it('limits: item size, nodes per user, max_items beyond the limit', async () => {
    const [lou] = await accounts('lLou');
    const l = await login(gw1, lou);
    const big = xml('nick', { xmlns: NICK }, 'x'.repeat(5000));
    expect(await iqError(l, 'set', undefined, xml('pubsub', { xmlns: PUBSUB }, xml('publish', { node: NICK }, xml('item', {}, big))))).toEqual(['not-acceptable', 'payload-too-big']);
    const tooMany = xml('pubsub', { xmlns: PUBSUB }, xml('publish', { node: 'urn:example:many' }, xml('item', {}, xml('x', { xmlns: 'urn:example' }))), xml('publish-options', {}, xml('x', { xmlns: 'jabber:x:data', type: 'submit' }, xml('field', { var: 'FORM_TYPE', type: 'hidden' }, xml('value', {}, 'http://jabber.org/protocol/pubsub#publish-options')), xml('field', { var: 'pubsub#max_items' }, xml('value', {}, '100000')))));
    expect((await iqError(l, 'set', undefined, tooMany))[0]).toBe('not-acceptable');
    for (let n = 0; n < 8; n++) await publish(l, `urn:example:node:${n}`, undefined, xml('x', { xmlns: 'urn:example' }));
    expect((await iqError(l, 'set', undefined, xml('pubsub', { xmlns: PUBSUB }, xml('publish', { node: 'urn:example:node:8' }, xml('item', {}, xml('x', { xmlns: 'urn:example' }))))))[0]).toBe('resource-constraint');
  });

  it('account deletion erases the vCard, private data and nodes', async () => {
    const [max] = await accounts('dMax');
    const m = await login(gw1, max);
    await iq(m, 'set', undefined, xml('vCard', { xmlns: VCARD }, xml('FN', {}, 'Max'), xml('PHOTO', {}, xml('TYPE', {}, 'image/png'), xml('BINVAL', {}, PNG))));
    await iq(m, 'set', undefined, xml('query', { xmlns: PRIVATE }, xml('prefs', { xmlns: 'urn:example:prefs' })));
    await publish(m, NICK, undefined, xml('nick', { xmlns: NICK }, 'Max'));
    const db = new Client({ connectionString: stack.serviceDbUrl('profile') });
    await db.connect();
    try {
      const count = async () => {
        const r = await db.query(
          `SELECT (SELECT count(*) FROM vcards WHERE owner = $1) + (SELECT count(*) FROM private_xml WHERE owner = $1) + (SELECT count(*) FROM pep_nodes WHERE owner = $1) + (SELECT count(*) FROM pep_items WHERE owner = $1) AS n`,
          [jid(max)],
        );
        return Number(r.rows[0].n);
      };
      expect(await count()).toBeGreaterThanOrEqual(7); // vcard, private, 3 nodes, 3 items
      await iq(m, 'set', undefined, xml('query', { xmlns: 'jabber:iq:register' }, xml('remove')));
      await waitFor(async () => (await count()) === 0, { what: 'the profile to be erased', timeoutMs: WAIT });
    } finally {
      await db.end();
    }
  });
});
