import { envelope, OfflineEvents, OfflineFetchQuery, OfflineNotices, OfflineFetchResult, OfflinePagesQuery, OfflinePagesResult, OfflineIdsCommand, OfflineSubjects } from '@parley/contracts';
import { NS } from '@parley/stanza';
import { settle, TestGateway } from '../../testing/test-gateway';
import { presenceModule } from '../rfc6121-presence/presence.module';
import { offlineModule } from './offline.module';

describe('XEP-0160 offline messages (in process, offline service faked on the bus)', () => {
  let gw: TestGateway;
  beforeEach(async () => (gw = await TestGateway.start({ modules: [presenceModule, offlineModule] })));
  afterEach(() => gw.stop());

  it('hands a message for an offline account to storage; chat states alone are dropped; no-store bounces', async () => {
    await gw.accounts('bob');
    const a = await gw.login('alice', 'desk');
    await a.send(`<message to='bob@localhost' type='chat' id='m1'><body>while you were out</body></message>`);
    await a.send(`<message to='bob@localhost' type='chat' id='m2'><composing xmlns='http://jabber.org/protocol/chatstates'/></message>`);
    await a.send(`<message to='bob@localhost' type='chat' id='m3'><body>x</body><no-store xmlns='urn:xmpp:hints'/></message>`);
    await settle();
    const stored = gw.bus.handOffs();
    expect(stored.map((s) => [s.to, s.from, s.type, s.stanzaId])).toEqual([['bob@localhost', 'alice@localhost/desk', 'chat', 'm1']]);
    expect(stored[0].stanza).toContain('while you were out');
    const bounced = await a.next((s) => s.attrs.id === 'm3');
    expect(bounced.getChild('error')!.getChild('service-unavailable', NS.stanzas)).toBeDefined();
    expect(a.received).toEqual([]);
  });

  it('bounces service-unavailable when JetStream refuses a hand-off the stream did not wait for', async () => {
    await gw.accounts('bob');
    const a = await gw.login('alice', 'desk');
    let fail!: (e: Error) => void;
    gw.bus.eventAcks = new Promise<void>((_r, j) => (fail = j));
    await a.send(`<message to='bob@localhost' type='chat' id='m1'><body>lost?</body></message>`);
    await settle();
    fail(new Error('no JetStream ack'));
    const bounced = await a.next((s) => s.attrs.id === 'm1');
    expect(bounced.attrs.type).toBe('error');
    expect(bounced.getChild('error')!.getChild('service-unavailable', NS.stanzas)).toBeDefined();
    gw.bus.eventAcks = undefined;
  });

  it('pushes the backlog at initial presence, then deletes what was written', async () => {
    const stanza = `<message from='alice@localhost/desk' to='bob@localhost' type='chat' id='m1'><body>hello</body><delay xmlns='urn:xmpp:delay' from='localhost' stamp='2026-12-01T10:00:00Z'/></message>`;
    gw.bus.answer<OfflineFetchQuery, OfflineFetchResult>(OfflineSubjects.fetch, () => ({
      messages: [{ id: 'n1', from: 'alice@localhost/desk', type: 'chat', stanzaId: 'm1', arrivedAt: '2026-12-01T10:00:00Z', stanza }],
    }));
    const acked: OfflineIdsCommand[] = [];
    gw.bus.answer<OfflineIdsCommand>(OfflineSubjects.ack, (c) => (acked.push(c), { deleted: c.ids.length }));
    const b = await gw.online('bob', 'phone');
    const m = await b.next((s) => s.name === 'message');
    expect(m.getChildText('body')).toBe('hello');
    await settle();
    expect(acked).toEqual([{ user: 'bob@localhost', ids: ['n1'] }]);
  });

  const backlogMessage = (to: string, n: number) => ({
    id: `${to}${n}`,
    from: 'alice@localhost/desk',
    type: 'chat' as const,
    arrivedAt: '2026-12-01T10:00:00Z',
    stanza: `<message from='alice@localhost/desk' to='${to}@localhost' type='chat'><body>${to} ${n}</body></message>`,
  });

  it('reads the pages of sessions coming online together with one offline.qry.pages per round, each going on from its cursor', async () => {
    const asked: Array<OfflinePagesQuery['pages']> = [];
    gw.bus.answer<OfflinePagesQuery, OfflinePagesResult>(OfflineSubjects.pages, (q) => {
      asked.push(q.pages);
      return {
        pages: q.pages.map((p) =>
          p.user === 'bob@localhost'
            ? { messages: [backlogMessage('bob', 1)] }
            : // carol's backlog did not fit in the first reply: no messages and a cursor; then two pages
              p.after === undefined
              ? { messages: [], next: 'start' }
              : p.after === 'start'
                ? { messages: [backlogMessage('carol', 1)], next: 'c1' }
                : { messages: [backlogMessage('carol', 2)] },
        ),
      };
    });
    gw.bus.answer<OfflineIdsCommand>(OfflineSubjects.ack, (c) => ({ deleted: c.ids.length }));
    const [b, c] = [await gw.login('bob', 'phone'), await gw.login('carol', 'pad')];
    await Promise.all([b.send('<presence/>'), c.send('<presence/>')]);
    expect((await b.next((s) => s.name === 'message')).getChildText('body')).toBe('bob 1');
    expect((await c.next((s) => s.name === 'message')).getChildText('body')).toBe('carol 1');
    expect((await c.next((s) => s.name === 'message')).getChildText('body')).toBe('carol 2');
    expect(asked).toEqual([[{ user: 'bob@localhost' }, { user: 'carol@localhost' }], [{ user: 'carol@localhost', after: 'start' }], [{ user: 'carol@localhost', after: 'c1' }]]);
  });

  it('reads the first page once per delivery: not for an initial presence of negative priority, then at the non-negative one', async () => {
    const asked: Array<OfflinePagesQuery['pages']> = [];
    gw.bus.answer<OfflinePagesQuery, OfflinePagesResult>(OfflineSubjects.pages, (q) => (asked.push(q.pages), { pages: q.pages.map(() => ({ messages: [backlogMessage('erin', 1)] })) }));
    gw.bus.answer<OfflineIdsCommand>(OfflineSubjects.ack, (c) => ({ deleted: c.ids.length }));
    const e = await gw.login('erin', 'phone');
    await e.send('<presence><priority>-1</priority></presence>');
    await settle();
    expect(asked).toEqual([]);
    await e.send('<presence><priority>5</priority></presence>');
    expect((await e.next((s) => s.name === 'message')).getChildText('body')).toBe('erin 1');
    await settle();
    expect(asked).toEqual([[{ user: 'erin@localhost' }]]);
  });

  it('reads each backlog with offline.qry.fetch when nobody answers offline.qry.pages (an offline service from before it)', async () => {
    const fetched: OfflineFetchQuery[] = [];
    gw.bus.answer<OfflineFetchQuery, OfflineFetchResult>(OfflineSubjects.fetch, (q) => {
      fetched.push(q);
      return q.after === undefined ? { messages: [backlogMessage('dan', 1)], next: 'd1' } : { messages: [backlogMessage('dan', 2)] };
    });
    gw.bus.answer<OfflineIdsCommand>(OfflineSubjects.ack, (c) => ({ deleted: c.ids.length }));
    const d = await gw.login('dan', 'phone');
    await d.send('<presence/>');
    expect((await d.next((s) => s.name === 'message')).getChildText('body')).toBe('dan 1');
    expect((await d.next((s) => s.name === 'message')).getChildText('body')).toBe('dan 2');
    expect(fetched.map((q) => [q.user, q.after])).toEqual([
      ['dan@localhost', undefined],
      ['dan@localhost', 'd1'],
    ]);
  });

  it('delivers at once what is stored while the session is available (stored notice), once, and a burst reads once more', async () => {
    const msg = (n: number) => ({
      id: `n${n}`,
      from: 'alice@localhost/desk',
      type: 'chat' as const,
      stanzaId: `m${n}`,
      arrivedAt: '2026-12-01T10:00:00Z',
      stanza: `<message from='alice@localhost/desk' to='bob@localhost' type='chat' id='m${n}'><body>late ${n}</body></message>`,
    });
    let stored = [msg(1)].slice(0, 0);
    let fetches = 0;
    gw.bus.answer<OfflineFetchQuery, OfflineFetchResult>(OfflineSubjects.fetch, () => (fetches++, { messages: stored }));
    const acked: string[] = [];
    gw.bus.answer<OfflineIdsCommand>(OfflineSubjects.ack, (c) => (acked.push(...c.ids), (stored = stored.filter((m) => !c.ids.includes(m.id))), { deleted: c.ids.length }));
    const b = await gw.online('bob', 'phone');
    await settle();
    const before = fetches;
    // Committed after the login fetch (the router had seen no available session).
    stored = [msg(1), msg(2)];
    for (const id of ['n1', 'n2', 'n1']) gw.bus.publish(OfflineNotices.stored, { u: 'bob@localhost', id });
    const first = await b.next((s) => s.name === 'message');
    const second = await b.next((s) => s.name === 'message');
    await settle();
    expect([first, second].map((s) => s.getChildText('body'))).toEqual(['late 1', 'late 2']);
    expect(b.received.filter((s) => s.name === 'message')).toEqual([]); // once each
    expect(acked).toEqual(['n1', 'n2']);
    // Three notices, at most two more reads (one running, one queued), never one per notice beyond that.
    expect(fetches - before).toBeLessThanOrEqual(2);
    // Someone else's notice, and a malformed one, change nothing.
    gw.bus.publish(OfflineNotices.stored, { u: 'carol@localhost', id: 'x' });
    gw.bus.publish(OfflineNotices.stored, { nope: true });
    await settle();
    expect(await b.drain((s) => s.name === 'message')).toEqual([]);
  });

  it('bounces a delivery failure the offline service reports, never for an error message', async () => {
    const a = await gw.login('alice', 'desk');
    const failed = { from: 'alice@localhost/desk', to: 'bob@localhost', stanzaId: 'm9', messageType: 'chat', reason: 'quota', at: new Date().toISOString() };
    await gw.bus.publishEvent(envelope(OfflineEvents.deliveryFailed, failed));
    const err = await a.next((s) => s.attrs.id === 'm9');
    expect(err.getChild('error')!.getChild('resource-constraint', NS.stanzas)).toBeDefined();
    await gw.bus.publishEvent(envelope(OfflineEvents.deliveryFailed, { ...failed, stanzaId: 'm10', messageType: 'error' }));
    expect(await a.drain()).toEqual([]);
  });
});
