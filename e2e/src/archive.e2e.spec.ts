// End-to-end: XEP-0313 message archive (off until the user opts in), XEP-0441
// preferences and XEP-0359 stanza ids — two real gateway processes, the real archive
// service, real clients. Waits for conditions, never sleeps.
import {
  ARCHIVE_INBOX,
  ARCHIVE_PREFS,
  ArchiveEvents,
  ArchiveLookupResult,
  ArchivePrefsV1,
  ArchiveStoreV1,
  ArchiveSubjects,
  ArchiveSweptV1,
  EventEnvelope,
} from '@parley/contracts';
import { Bus } from '@parley/nats';
import { waitFor } from '@parley/testing-stack';
import { connectClient, GatewayProcess, registerInBand, TestClient, xml } from '@parley/testing-xmpp';
import { E2EStack, startStack } from './stack';

jest.setTimeout(240_000);

const PASSWORD = 'correct horse battery';
const NS_MAM = 'urn:xmpp:mam:2';
const NS_SID = 'urn:xmpp:sid:0';
const NS_RSM = 'http://jabber.org/protocol/rsm';
const NS_FORWARD = 'urn:xmpp:forward:0';
const NS_CARBONS = 'urn:xmpp:carbons:2';
const NS_DATA = 'jabber:x:data';
type Ltx = TestClient['received'][number];

const alice = 'alice@localhost';
const bob = 'bob@localhost';
const carol = 'carol@localhost';
const dave = 'dave@localhost';
const erin = 'erin@localhost';
const frank = 'frank@localhost';

/** One archived item as a client sees it. */
interface Item {
  id: string;
  stamp: string;
  body?: string;
  from?: string;
  to?: string;
  message: Ltx;
}
/** One page of results and its `<fin/>`. */
interface Page {
  items: Item[];
  complete: boolean;
  first?: string;
  firstIndex?: number;
  last?: string;
  count?: number;
}
interface QueryOptions {
  with?: string;
  start?: string;
  end?: string;
  beforeId?: string;
  afterId?: string;
  ids?: string[];
  fields?: Record<string, string>;
  max?: number;
  after?: string;
  before?: string;
  index?: number;
  flip?: boolean;
  to?: string;
}

let queries = 0;
/** Runs a XEP-0313 query and collects its results (they arrive before the IQ result). */
async function mam(c: TestClient, o: QueryOptions = {}): Promise<Page> {
  const queryid = `q${++queries}`;
  const fields: Array<[string, string[]]> = [];
  if (o.with !== undefined) fields.push(['with', [o.with]]);
  if (o.start !== undefined) fields.push(['start', [o.start]]);
  if (o.end !== undefined) fields.push(['end', [o.end]]);
  if (o.beforeId !== undefined) fields.push(['before-id', [o.beforeId]]);
  if (o.afterId !== undefined) fields.push(['after-id', [o.afterId]]);
  if (o.ids !== undefined) fields.push(['ids', o.ids]);
  for (const [k, v] of Object.entries(o.fields ?? {})) fields.push([k, [v]]);
  const form = fields.length
    ? xml(
        'x',
        { xmlns: NS_DATA, type: 'submit' },
        xml('field', { var: 'FORM_TYPE', type: 'hidden' }, xml('value', {}, NS_MAM)),
        ...fields.map(([v, values]) => xml('field', { var: v }, ...values.map((x) => xml('value', {}, x)))),
      )
    : undefined;
  const rsm = [
    o.max !== undefined ? xml('max', {}, String(o.max)) : undefined,
    o.after !== undefined ? xml('after', {}, o.after) : undefined,
    o.before !== undefined ? xml('before', {}, o.before) : undefined,
    o.index !== undefined ? xml('index', {}, String(o.index)) : undefined,
  ].filter((e) => e !== undefined);
  const res = await c.iqStanza(
    xml('iq', { type: 'set', to: o.to }, xml('query', { xmlns: NS_MAM, queryid }, form, rsm.length ? xml('set', { xmlns: NS_RSM }, ...rsm) : undefined, o.flip ? xml('flip-page') : undefined)),
    20_000,
  );
  const fin = res.getChild('fin', NS_MAM)!;
  const set = fin.getChild('set', NS_RSM);
  const bare = c.jid.split('/')[0];
  const items = c.received
    .filter((s) => s.is('message') && s.getChild('result', NS_MAM)?.attrs.queryid === queryid)
    .map((s) => {
      expect(s.attrs.from).toBe(bare); // XEP-0313 §8.2: results come from the archive's JID
      const r = s.getChild('result', NS_MAM)!;
      const f = r.getChild('forwarded', NS_FORWARD)!;
      const m = f.getChild('message', 'jabber:client')!;
      return { id: r.attrs.id, stamp: f.getChild('delay', 'urn:xmpp:delay')!.attrs.stamp, body: m.getChildText('body') ?? undefined, from: m.attrs.from, to: m.attrs.to, message: m };
    });
  const first = set?.getChild('first');
  const count = set?.getChildText('count');
  return {
    items,
    complete: fin.attrs.complete === 'true',
    first: first?.text(),
    firstIndex: first?.attrs.index !== undefined ? Number(first.attrs.index) : undefined,
    last: set?.getChildText('last') ?? undefined,
    count: count != null ? Number(count) : undefined,
  };
}

/** XEP-0441 preferences: get (no default given) or set. */
async function prefs(c: TestClient, def?: string, always: string[] = [], never: string[] = []): Promise<ArchivePrefsV1> {
  const list = (name: string, jids: string[]) => xml(name, {}, ...jids.map((j) => xml('jid', {}, j)));
  const res = def
    ? await c.iq(xml('iq', { type: 'set' }, xml('prefs', { xmlns: NS_MAM, default: def }, list('always', always), list('never', never))))
    : await c.iq(xml('iq', { type: 'get' }, xml('prefs', { xmlns: NS_MAM })));
  const jids = (name: string) => res.getChild(name)?.getChildren('jid').map((j: Ltx) => j.text()) ?? [];
  return { default: res.attrs.default, always: jids('always'), never: jids('never') } as ArchivePrefsV1;
}

let sent = 0;
/** Sends a message; resolves with its id. */
async function say(from: TestClient, to: string, body: string | undefined, extra: Ltx[] = [], type = 'chat'): Promise<string> {
  const id = `m${++sent}`;
  await from.send(xml('message', { to, type, id }, body !== undefined ? xml('body', {}, body) : undefined, ...extra));
  return id;
}
/** The original message with this id (not a carbon, not an archive result). */
const got = (c: TestClient, id: string) => c.waitFor((s) => s.is('message') && s.attrs.id === id, `message ${id}`, 20_000);
/** The `<stanza-id/>`s a message carries from the archive of `by`. */
const idsBy = (m: Ltx, by: string): string[] =>
  m
    .getChildren('stanza-id', NS_SID)
    .filter((e: Ltx) => e.attrs.by === by)
    .map((e: Ltx) => e.attrs.id);
const bodies = (p: Page) => p.items.map((i) => i.body);
const forwardedIn = (s: Ltx, kind: 'received' | 'sent') => s.getChild(kind, NS_CARBONS)?.getChild('forwarded', NS_FORWARD)?.getChild('message', 'jabber:client');

describe('message archive (XEP-0313), end to end', () => {
  let stack: E2EStack;
  let gw1: GatewayProcess;
  let gw2: GatewayProcess;
  let bus: Bus;
  const stores: ArchiveStoreV1[] = [];
  const clients: TestClient[] = [];

  const login = async (gw: GatewayProcess, username: string, resource?: string, presence: boolean | number = true) => {
    const c = await connectClient({ port: gw.starttlsPort, username, password: PASSWORD, resource, presence });
    clients.push(c);
    return c;
  };
  const inbox = async () => {
    return bus.streamState(ARCHIVE_INBOX);
  };
  /**
   * Sends probes until one arrives carrying the recipient's archive id: from then on
   * the sender's gateway knows the recipient's preferences. Resolves with that id.
   */
  const archivedProbe = (from: TestClient, to: TestClient, toBare: string) =>
    waitFor(
      async () => {
        const m = await got(to, await say(from, toBare, 'probe'));
        return idsBy(m, toBare)[0];
      },
      { timeoutMs: 30_000, intervalMs: 200, what: `${toBare}'s preferences on the sender's gateway` },
    );

  beforeAll(async () => {
    stack = await startStack('mam');
    await stack.startService('archive');
    // no username tombstones here: a test registers a deleted name again at once, to show the new account starts with the archive off
    gw1 = await stack.startGateway({ USERNAME_TOMBSTONE: '0s' });
    gw2 = await stack.startGateway({ USERNAME_TOMBSTONE: '0s' });
    bus = await Bus.connect(stack.busOptions('e2e-archive-observer'));
    // Every store command that reaches the bus (core NATS sees JetStream publishes too).
    bus.subscribe<EventEnvelope<ArchiveStoreV1>>(ArchiveSubjects.store, (e) => {
      stores.push(e.data);
    });
    await bus.flush();
    for (const u of ['alicE', 'bOb', 'carol', 'dave', 'erin', 'frank', 'grace', 'heidi']) {
      expect(await registerInBand(gw1.starttlsPort, u, PASSWORD)).toMatch(/type=.result./);
    }
  });

  afterEach(async () => {
    await Promise.all(clients.splice(0).map((c) => c.stop()));
  });

  afterAll(async () => {
    await bus?.close();
    await stack?.stop();
  });

  it('advertises the archive on the account, answers the form, and lets only the owner in', async () => {
    const a = await login(gw1, 'alicE', 'desk', false);
    const info = await a.iq(xml('iq', { type: 'get', to: alice }, xml('query', { xmlns: 'http://jabber.org/protocol/disco#info' })));
    const features = info.getChildren('feature').map((f: Ltx) => f.attrs.var);
    expect(features).toEqual(expect.arrayContaining([NS_MAM, `${NS_MAM}#extended`, NS_SID]));
    const form = await a.iq(xml('iq', { type: 'get' }, xml('query', { xmlns: NS_MAM })));
    const vars = form.getChild('x', NS_DATA)!.getChildren('field').map((f: Ltx) => f.attrs.var);
    expect(vars).toEqual(expect.arrayContaining(['FORM_TYPE', 'with', 'start', 'end', 'before-id', 'after-id', 'ids']));
    const meta = await a.iq(xml('iq', { type: 'get' }, xml('metadata', { xmlns: NS_MAM })));
    expect(meta.getChildren('start')).toHaveLength(0);
    const b = await login(gw2, 'bOb', 'phone', false);
    await expect(mam(b, { to: alice })).rejects.toThrow(/forbidden/);
    await expect(b.iq(xml('iq', { type: 'get', to: alice }, xml('prefs', { xmlns: NS_MAM })))).rejects.toThrow(/forbidden/);
  });

  it('archives nothing before the user opts in, and puts nothing on the archive stream', async () => {
    const a = await login(gw1, 'alicE', 'desk');
    const b = await login(gw2, 'bOb', 'phone');
    expect(await prefs(a)).toEqual({ default: 'never', always: [], never: [] });
    expect(await prefs(b)).toEqual({ default: 'never', always: [], never: [] });
    const tries: string[] = [];
    const first = await waitFor(
      async () => {
        tries.push(await say(a, bob, 'hello before opting in'));
        return tries.find((id) => b.received.some((s) => s.attrs.id === id));
      },
      { what: 'gateways to see each other', intervalMs: 200 },
    );
    const back = await got(a, await say(b, `${alice}/desk`, 'hi, nothing is kept'));
    const m1 = await got(b, first);
    for (const m of [m1, back]) expect(m.getChildren('stanza-id', NS_SID)).toHaveLength(0);
    for (const c of [a, b]) expect(await mam(c)).toMatchObject({ items: [], complete: true });
    expect(stores).toEqual([]);
    expect((await inbox()).lastSeq).toBe(0);
  });

  it('after opting in, archives both directions, each side by its own preferences', async () => {
    const a = await login(gw1, 'alicE', 'desk');
    const b = await login(gw2, 'bOb', 'phone');
    const c = await login(gw1, 'carol', 'home');
    expect(await prefs(a, 'always')).toEqual({ default: 'always', always: [], never: [] });
    expect(await prefs(a)).toEqual({ default: 'always', always: [], never: [] });
    // bob archives his roster (the roster service is not running: nobody is in it) and carol
    expect(await prefs(b, 'roster', ['CAROL@localhost'])).toEqual({ default: 'roster', always: [carol], never: [] });
    const probeToAlice = await archivedProbe(b, a, alice);
    const probeToBob = await archivedProbe(c, b, bob);

    const toBob = await got(b, await say(a, bob, 'hello bob'));
    const toAlice = await got(a, await say(b, alice, 'hello alice'));
    expect(idsBy(toBob, bob)).toEqual([]); // not archived for bob: alice is not in his roster
    expect(idsBy(toBob, alice)).toEqual([]); // the sender's id never shows to the recipient
    const [aliceId] = idsBy(toAlice, alice);
    expect(aliceId).toBeDefined();

    const page = await waitFor(async () => {
      const p = await mam(a, { afterId: probeToAlice });
      return p.items.length === 2 ? p : undefined;
    });
    expect(bodies(page)).toEqual(['hello bob', 'hello alice']);
    expect(page.items[0]).toMatchObject({ from: `${alice}/desk`, to: bob });
    expect(page.items[1]).toMatchObject({ id: aliceId, from: `${bob}/phone`, to: alice });
    expect(page).toMatchObject({ complete: true, count: 2, first: page.items[0].id, last: aliceId });
    for (const i of page.items) expect(idsBy(i.message, alice)).toEqual([]);

    expect((await mam(b, { with: alice })).items).toEqual([]);
    expect((await mam(b, { with: carol })).items.map((i) => i.id)).toEqual([probeToBob]);
    // bob's gateway decided by bob's preferences: his copy of alice's messages never reached the bus
    expect(stores.filter((s) => s.owner === bob && s.with === alice)).toEqual([]);
    expect(stores.filter((s) => s.owner === alice && s.direction === 'out' && s.with === bob)).toHaveLength(1);
  });

  it('puts on the delivered message the stanza-id the archive answers by, drops forged ones, and gives sent carbons the sender id', async () => {
    const a = await login(gw1, 'alicE', 'desk');
    const tablet = await login(gw2, 'alicE', 'tablet');
    const b = await login(gw1, 'bOb', 'laptop');
    await tablet.iq(xml('iq', { type: 'set' }, xml('enable', { xmlns: NS_CARBONS })));
    // the tablet's carbons flag reaches gw1 before its presence does
    await tablet.send(xml('presence', {}, xml('status', {}, 'carbons on')));
    await a.waitFor((s) => s.is('presence') && s.attrs.from === `${alice}/tablet` && s.getChildText('status') === 'carbons on');

    const forged = [xml('stanza-id', { xmlns: NS_SID, by: alice, id: 'forged' }), xml('stanza-id', { xmlns: NS_SID, by: 'room@conference.example', id: 'theirs' })];
    const m = await got(a, await say(b, `${alice}/desk`, 'with a forged id', forged));
    const [id] = idsBy(m, alice);
    expect(idsBy(m, alice)).toHaveLength(1);
    expect(id).not.toBe('forged');
    expect(idsBy(m, 'room@conference.example')).toEqual(['theirs']);
    const copy = forwardedIn(await tablet.waitFor((s) => forwardedIn(s, 'received')?.getChildText('body') === 'with a forged id'), 'received')!;
    expect(idsBy(copy, alice)).toEqual([id]);
    const found = await waitFor(async () => (await mam(a, { ids: [id] })).items[0]);
    expect(found).toMatchObject({ id, body: 'with a forged id', from: `${bob}/laptop` });

    const out = await got(b, await say(a, bob, 'sent from the desk'));
    expect(out.getChildren('stanza-id', NS_SID)).toHaveLength(0);
    const sentCopy = forwardedIn(await tablet.waitFor((s) => forwardedIn(s, 'sent')?.getChildText('body') === 'sent from the desk'), 'sent')!;
    const [sentId] = idsBy(sentCopy, alice);
    expect(sentId).toBeDefined();
    const mine = await waitFor(async () => (await mam(a, { ids: [sentId] })).items[0]);
    expect(mine).toMatchObject({ id: sentId, body: 'sent from the desk', from: `${alice}/desk`, to: bob });
  });

  describe('a long archive', () => {
    const all: Item[] = [];

    it('pages forward and backward with no gaps or duplicates', async () => {
      const d = await login(gw1, 'dave', 'desk');
      const e = await login(gw1, 'erin', 'pen');
      await prefs(d, 'always'); // same gateway as the sender: in effect at once
      const expected = Array.from({ length: 60 }, (_, i) => `p${String(i).padStart(2, '0')}`);
      let lastId = '';
      for (const body of expected) lastId = await say(e, dave, body);
      await got(d, lastId);
      await waitFor(async () => (await mam(d, { max: 0 })).count === 60, { what: '60 archived messages', intervalMs: 200 });

      const forward: Page[] = [];
      let after: string | undefined;
      for (;;) {
        const p = await mam(d, { max: 10, after });
        forward.push(p);
        expect(p.first).toBe(p.items[0]?.id);
        expect(p.last).toBe(p.items[p.items.length - 1]?.id);
        if (p.complete) break;
        after = p.last;
      }
      expect(forward.map((p) => p.items.length)).toEqual([10, 10, 10, 10, 10, 10]);
      expect(forward.map((p) => p.complete)).toEqual([false, false, false, false, false, true]);
      expect(forward[0]).toMatchObject({ count: 60, firstIndex: 0 });
      const items = forward.flatMap((p) => p.items);
      expect(items.map((i) => i.body)).toEqual(expected);
      expect(new Set(items.map((i) => i.id)).size).toBe(60);
      all.push(...items);

      const backward: Page[] = [];
      let before = '';
      for (;;) {
        const p = await mam(d, { max: 10, before });
        backward.push(p);
        if (p.complete) break;
        before = p.first!;
      }
      expect(backward.map((p) => p.items.length)).toEqual([10, 10, 10, 10, 10, 10]);
      expect(backward[0]).toMatchObject({ count: 60, firstIndex: 50 });
      expect(backward.reverse().flatMap((p) => p.items.map((i) => i.id))).toEqual(items.map((i) => i.id));

      const flipped = await mam(d, { max: 10, before: '', flip: true });
      expect(bodies(flipped)).toEqual(expected.slice(50).reverse());
      expect(flipped).toMatchObject({ first: items[50].id, last: items[59].id });
      const byIndex = await mam(d, { max: 5, index: 20 });
      expect(byIndex).toMatchObject({ firstIndex: 20, complete: false });
      expect(bodies(byIndex)).toEqual(expected.slice(20, 25));
      await expect(mam(d, { max: 10, after: 'no-such-id' })).rejects.toThrow(/item-not-found/);
    });

    it('filters by with, time, ids, before-id and after-id, and reports metadata', async () => {
      expect(all).toHaveLength(60);
      const d = await login(gw1, 'dave', 'desk');
      const f = await login(gw1, 'frank', 'pad');
      const fromFrank = await say(f, dave, 'from frank');
      await got(d, fromFrank);
      const franks = await waitFor(async () => {
        const p = await mam(d, { with: frank });
        return p.items.length === 1 ? p : undefined;
      });
      expect(franks.items[0]).toMatchObject({ body: 'from frank', from: `${frank}/pad` });
      expect(bodies(await mam(d, { with: `${erin}/pen`, max: 100 }))).toEqual(all.map((i) => i.body));
      expect((await mam(d, { with: `${erin}/elsewhere` })).items).toEqual([]);
      expect((await mam(d, { with: 'ERIN@localhost', max: 100 })).items).toHaveLength(60);

      const start = all[10].stamp;
      const end = all[20].stamp;
      const inRange = all.filter((i) => Date.parse(i.stamp) >= Date.parse(start) && Date.parse(i.stamp) <= Date.parse(end)).map((i) => i.id);
      expect((await mam(d, { with: erin, start, end, max: 100 })).items.map((i) => i.id)).toEqual(inRange);
      const sinceEnd = all.filter((i) => Date.parse(i.stamp) >= Date.parse(end)).map((i) => i.id);
      expect((await mam(d, { with: erin, start: end, max: 100 })).items.map((i) => i.id)).toEqual(sinceEnd);

      expect((await mam(d, { afterId: all[9].id, beforeId: all[15].id })).items.map((i) => i.id)).toEqual(all.slice(10, 15).map((i) => i.id));
      expect((await mam(d, { ids: [all[40].id, all[3].id] })).items.map((i) => i.id)).toEqual([all[3].id, all[40].id]);
      await expect(mam(d, { ids: [all[3].id, 'no-such-id'] })).rejects.toThrow(/item-not-found/);
      await expect(mam(d, { beforeId: 'no-such-id' })).rejects.toThrow(/item-not-found/);
      await expect(mam(d, { fields: { 'urn:example:free-text-search': 'x' } })).rejects.toThrow(/feature-not-implemented/);
      await expect(mam(d, { start: 'yesterday' })).rejects.toThrow(/bad-request/);

      const meta = await d.iq(xml('iq', { type: 'get' }, xml('metadata', { xmlns: NS_MAM })));
      expect(meta.getChild('start')?.attrs.id).toBe(all[0].id);
      expect(meta.getChild('end')?.attrs.id).toBe(franks.items[0].id);
    });
  });

  it('stops archiving at once when the preferences say never, on every gateway', async () => {
    const f = await login(gw1, 'frank', 'pad');
    const g = await login(gw2, 'grace', 'web');
    await prefs(f, 'always');
    await prefs(g, 'always'); // grace's own copy is the barrier below
    await archivedProbe(g, f, frank);
    expect(await prefs(f, 'never')).toEqual({ default: 'never', always: [], never: [] });
    const after = await got(f, await say(g, frank, 'after never'));
    // grace's copy is stored after any command for frank (same gateway, same stream), and the queue is empty
    await waitFor(async () => (await mam(g, { with: frank })).items.some((i) => i.body === 'after never'));
    await waitFor(async () => (await inbox()).messages === 0, { what: 'the store queue to drain' });
    expect((await mam(f)).items.map((i) => i.body)).not.toContain('after never');
    expect(idsBy(after, frank).length).toBeLessThanOrEqual(1);
    // and soon the other gateway no longer even hands frank's messages to the archive
    await waitFor(
      async () => {
        const m = await got(f, await say(g, frank, 'still never'));
        return idsBy(m, frank).length === 0;
      },
      { timeoutMs: 30_000, intervalMs: 200, what: "gw2 to learn frank's new preferences" },
    );
    expect((await mam(f)).items.map((i) => i.body)).not.toContain('still never');
  });

  it('a gateway started later replays the preferences before it serves anyone', async () => {
    const gw3 = await stack.startGateway({ USERNAME_TOMBSTONE: '0s' });
    const a = await login(gw1, 'alicE', 'desk');
    const f = await login(gw1, 'frank', 'pad');
    const h = await login(gw3, 'heidi', 'new');
    const toAlice = await got(a, await say(h, alice, 'first message through gw3'));
    expect(idsBy(toAlice, alice)).toHaveLength(1); // alice opted in earlier: known at once
    const toFrank = await got(f, await say(h, frank, 'and to frank'));
    expect(idsBy(toFrank, frank)).toHaveLength(0); // frank's latest preferences say never
  });

  it('erases the archive and the preferences with the account', async () => {
    expect(await registerInBand(gw1.starttlsPort, 'temp', PASSWORD)).toMatch(/type=.result./);
    const t = await login(gw1, 'temp', 'only');
    const c = await login(gw1, 'carol', 'home');
    await prefs(t, 'always');
    const [id] = idsBy(await got(t, await say(c, 'temp@localhost', 'soon gone')), 'temp@localhost');
    await waitFor(async () => (await mam(t, { ids: [id] })).items.length === 1);
    await t.iq(xml('iq', { type: 'set' }, xml('query', { xmlns: 'jabber:iq:register' }, xml('remove'))));
    // the erasure deletes the messages, then the preferences (two steps): wait for both
    await waitFor(async () => (await bus.request<ArchiveLookupResult>(ArchiveSubjects.lookup, { owner: 'temp@localhost' })).items.length === 0, { what: 'the archive to be erased' });
    await waitFor(async () => (await bus.request<ArchivePrefsV1>(ArchiveSubjects.getPrefs, { jid: 'temp@localhost' })).default === 'never', { what: 'the preferences to be erased' });
    expect(await bus.request<ArchivePrefsV1>(ArchiveSubjects.getPrefs, { jid: 'temp@localhost' })).toEqual({ default: 'never', always: [], never: [] });
    // the JID left NATS too
    await waitFor(async () => (await bus.lastOnSubject(ARCHIVE_PREFS, ArchiveEvents.prefsChangedFor('temp@localhost'))) === undefined);
    // a new account of that name starts with the archive off, on every gateway
    expect(await registerInBand(gw2.starttlsPort, 'temp', PASSWORD)).toMatch(/type=.result./);
    const t2 = await login(gw2, 'temp', 'again');
    expect(await prefs(t2)).toEqual({ default: 'never', always: [], never: [] });
    expect(idsBy(await got(t2, await say(c, 'temp@localhost', 'new account')), 'temp@localhost')).toEqual([]);
    expect((await mam(t2)).items).toEqual([]);
  });

  it('answers at once with an error while the archive is down; store commands wait in the queue', async () => {
    const archive = stack.services.get('archive')!;
    await archive.stop();
    const a = await login(gw1, 'alicE', 'desk');
    const c = await login(gw1, 'carol', 'home');
    const t0 = Date.now();
    await expect(mam(a)).rejects.toThrow(/service-unavailable/);
    await expect(prefs(a)).rejects.toThrow(/service-unavailable/);
    expect(Date.now() - t0).toBeLessThan(3000);
    const [id] = idsBy(await got(a, await say(c, alice, 'while the archive sleeps')), alice);
    expect(id).toBeDefined();
    await waitFor(async () => (await inbox()).messages >= 1, { what: 'the command to wait in the queue' });
    await stack.startService('archive');
    const item = await waitFor(async () => (await mam(a, { ids: [id] })).items[0], { what: 'the queued message to be archived', timeoutMs: 30_000, intervalMs: 200 });
    expect(item.body).toBe('while the archive sleeps');
  });

  it('sweeps messages older than the retention', async () => {
    await stack.services.get('archive')!.stop();
    await stack.startService('archive', { ARCHIVE_RETENTION: '3s' });
    const a = await login(gw1, 'alicE', 'desk');
    const c = await login(gw1, 'carol', 'home');
    const [id] = idsBy(await got(a, await say(c, alice, 'short-lived')), alice);
    await waitFor(async () => (await mam(a, { ids: [id] })).items.length === 1, { what: 'the message to be archived' });
    let swept = 0;
    await waitFor(
      async () => {
        const r = await bus.request<ArchiveSweptV1>(ArchiveSubjects.sweep, {});
        expect(r.retentionMs).toBe(3000);
        swept += r.deleted;
        return (await mam(a, { ids: [id] }).catch((e: Error) => e)) instanceof Error;
      },
      { timeoutMs: 30_000, intervalMs: 500, what: 'the sweep to delete the message' },
    );
    expect(swept).toBeGreaterThan(0);
    await expect(mam(a, { ids: [id] })).rejects.toThrow(/item-not-found/);
    expect((await mam(a)).items).toEqual([]);
  });
});
