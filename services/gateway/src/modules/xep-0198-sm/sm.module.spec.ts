import { NS } from '@parley/stanza';
import { parseXml, x } from '@parley/xml';
import { CoreHooks, defineModule, type PreBindStream, type Session, type SessionTransport } from '../../host';
import { FakeBus, settle, TestClient, TestGateway } from '../../testing/test-gateway';
import { STREAM_MANAGEMENT } from './api';
import { smModule } from './sm.module';

describe('XEP-0198 stream management (in process)', () => {
  let gw: TestGateway;
  beforeEach(async () => (gw = await TestGateway.start({ modules: [smModule] })));
  afterEach(() => gw.stop());

  const nonza = (c: TestClient, xml: string) => gw.core.registry.nonzas.some((h) => h(c.session, parseXml(xml)));
  const enable = async (c: TestClient, attrs = `resume='true'`) => {
    expect(nonza(c, `<enable xmlns='${NS.sm}' ${attrs}/>`)).toBe(true);
    return (await c.next((s) => s.name === 'enabled')).attrs;
  };

  it('offers the feature, counts stanzas both ways, and answers <r/> with the client’s count', async () => {
    expect(gw.core.registry.streamFeatures.map((f) => f(undefined)?.attrs.xmlns)).toContain(NS.sm);
    const a = await gw.login('alice', 'desk');
    const b = await gw.login('bob', 'pad');
    const enabled = await enable(a);
    expect(enabled).toMatchObject({ xmlns: NS.sm, resume: 'true', max: '300' });
    expect(gw.core.host.api(STREAM_MANAGEMENT)!.enabled(a.session)).toBe(true);
    for (const f of gw.core.registry.stanzaReceived) f(a.session);
    for (const f of gw.core.registry.stanzaReceived) f(a.session);
    expect(nonza(a, `<r xmlns='${NS.sm}'/>`)).toBe(true);
    expect((await a.next((s) => s.name === 'a')).attrs.h).toBe('2');
    // a second enable fails
    await enable(b, '');
    expect(nonza(b, `<enable xmlns='${NS.sm}'/>`)).toBe(true);
    expect((await b.next((s) => s.name === 'failed')).getChild('unexpected-request', NS.stanzas)).toBeDefined();
  });

  it('confirms delivery on the covering <a h/>, and ends a stream that acknowledges more than was sent', async () => {
    const a = await gw.login('alice', 'desk');
    await enable(a, '');
    a.session.send(x('message', { to: a.full, id: 'm1' }));
    let delivered: boolean | undefined;
    a.session.whenDelivered((d) => (delivered = d));
    await settle();
    expect(delivered).toBeUndefined();
    expect(nonza(a, `<a xmlns='${NS.sm}' h='1'/>`)).toBe(true);
    expect(delivered).toBe(true);
    expect(nonza(a, `<a xmlns='${NS.sm}' h='5'/>`)).toBe(true);
    expect(a.closedWith).toMatchObject({ condition: 'undefined-condition' });
  });

  it('asks again for stanzas sent while an <r/> was out, once its <a/> leaves them unacknowledged', async () => {
    const a = await gw.login('alice', 'desk');
    await enable(a, '');
    for (let i = 0; i < 10; i++) a.session.send(x('message', { to: a.full, id: `m${i}` }));
    await a.next((s) => s.name === 'r'); // ten unacknowledged: asked at once
    for (let i = 10; i < 13; i++) a.session.send(x('message', { to: a.full, id: `m${i}` }));
    let delivered: boolean | undefined;
    a.session.whenDelivered((d) => (delivered = d));
    expect(nonza(a, `<a xmlns='${NS.sm}' h='10'/>`)).toBe(true);
    // The three sent meanwhile get their own request (without it they would wait for the next send).
    await a.next((s) => s.name === 'r', 'a second <r/>', 5000);
    expect(nonza(a, `<a xmlns='${NS.sm}' h='13'/>`)).toBe(true);
    expect(delivered).toBe(true);
  });

  it('keeps a dropped session for resumption, resends what was not acknowledged, and adopts it on <resume/>', async () => {
    const a = await gw.login('alice', 'desk');
    const { id } = await enable(a);
    expect(gw.core.registry.connectionLost.some((keep) => keep(a.session))).toBe(true);
    a.session.send(x('message', { to: a.full, id: 'while-away' }));
    expect(a.received.filter((s) => s.name === 'message')).toEqual([]);
    const written: string[] = [];
    let adopted: Session | undefined;
    const transport: SessionTransport = { secure: true, write: (xml) => void written.push(xml), close() {} };
    const stream: PreBindStream = { username: 'alice', transport, write: (xml) => void written.push(xml), adopt: (s) => (adopted = s), closed: false };
    expect(gw.core.registry.preBindNonzas.some((h) => h(stream, parseXml(`<resume xmlns='${NS.sm}' previd='${id}' h='0'/>`)))).toBe(true);
    expect(adopted).toBe(a.session);
    expect(written[0]).toMatch(/^<resumed /);
    expect(written[1]).toContain('id="while-away"');
    // an unknown id fails
    const other: string[] = [];
    gw.core.registry.preBindNonzas.some((h) => h({ ...stream, write: (xml) => void other.push(xml) }, parseXml(`<resume xmlns='${NS.sm}' previd='nope' h='0'/>`)));
    expect(other[0]).toMatch(/<failed.*item-not-found/);
  });

  it('routes messages a session never acknowledged to the user’s other resources when it ends', async () => {
    const a = await gw.login('alice', 'desk');
    await enable(a, '');
    const other = await gw.login('alice', 'phone');
    other.session.available = true;
    gw.core.sessions.update(other.session);
    a.session.send(x('message', { from: 'bob@localhost/pad', to: a.full, type: 'chat', id: 'unacked' }, x('body', null, 'hello')));
    a.close();
    const again = await other.next((s) => s.attrs.id === 'unacked');
    expect(again.attrs.to).toBe('alice@localhost');
  });

  it('ends a session waiting for resumption once it holds SM_MAX_UNACKED stanzas, and routes them again', async () => {
    await gw.stop();
    gw = await TestGateway.start({ modules: [smModule], env: { SM_MAX_UNACKED: '10' } });
    const a = await gw.login('alice', 'desk');
    await enable(a);
    const other = await gw.login('alice', 'phone');
    other.session.available = true;
    gw.core.sessions.update(other.session);
    expect(gw.core.registry.connectionLost.some((keep) => keep(a.session))).toBe(true);
    expect(gw.core.host.api(STREAM_MANAGEMENT)!.stats()).toMatchObject({ hibernating: 1, unacked: 0 });
    for (let i = 0; i < 10; i++) a.session.send(x('message', { from: 'bob@localhost/pad', to: a.full, type: 'chat', id: `m${i}` }, x('body', null, String(i))));
    await settle(10);
    expect(a.session.closed).toBe(true);
    for (let i = 0; i < 10; i++) await other.next((s) => s.attrs.id === `m${i}`);
    expect(gw.core.host.api(STREAM_MANAGEMENT)!.stats()).toMatchObject({ hibernating: 0, unacked: 0 });
  });

  describe('resumption on another instance (handoff over the bus)', () => {
    let gw2: TestGateway;
    let gw3: TestGateway;
    afterEach(async () => {
      await gw2?.stop();
      await gw3?.stop();
    });

    const resumeAt = (target: TestGateway, id: string, h: number) => {
      const written: string[] = [];
      let adopted: Session | undefined;
      const transport: SessionTransport = { secure: true, write: (xml) => void written.push(xml), close() {} };
      const stream: PreBindStream = { username: 'alice', transport, write: (xml) => void written.push(xml), adopt: (s) => (adopted = s), closed: false };
      expect(target.core.registry.preBindNonzas.some((h2) => h2(stream, parseXml(`<resume xmlns='${NS.sm}' previd='${id}' h='${h}'/>`)))).toBe(true);
      return { written, adopted: () => adopted };
    };

    it('moves the session with its counters, unacknowledged stanzas, presence and carbons; the old instance forwards later resumptions', async () => {
      await gw.stop();
      const bus = new FakeBus();
      gw = await TestGateway.start({ modules: [smModule], bus, instanceId: 'gw-a' });
      gw2 = await TestGateway.start({ modules: [smModule], bus, instanceId: 'gw-b' });
      gw3 = await TestGateway.start({ modules: [smModule], bus, instanceId: 'gw-c' });
      const a = await gw.login('alice', 'desk');
      a.session.available = true;
      a.session.priority = 5;
      a.session.presence = x('presence', { from: a.full }, x('status', null, 'here'));
      gw.core.sessions.update(a.session, { carbons: true });
      const { id } = await enable(a);
      expect(id).toMatch(/\.gw-a$/);
      for (const f of gw.core.registry.stanzaReceived) f(a.session); // one stanza handled from the client
      a.session.send(x('message', { to: a.full, id: 'seen' }));
      a.session.send(x('message', { to: a.full, id: 'not-acked' }));
      // the connection drops: the session waits on gw-a
      expect(gw.core.registry.connectionLost.some((keep) => keep(a.session))).toBe(true);

      const r = resumeAt(gw2, id, 1); // the client saw one of the two messages
      await settle(20);
      const moved = r.adopted()!;
      expect(moved).toBeDefined();
      expect(moved.full).toBe('alice@localhost/desk');
      expect(r.written[0]).toMatch(/^<resumed /);
      expect(r.written[0]).toContain(`previd="${id}"`);
      expect(r.written[0]).toContain('h="1"');
      expect(r.written.slice(1).join('')).toContain('id="not-acked"');
      expect(r.written.join('')).not.toContain('id="seen"');
      expect(moved.available).toBe(true);
      expect(moved.priority).toBe(5);
      expect(moved.presence?.getChildText('status')).toBe('here');
      expect(gw2.core.directory.resource('alice@localhost', 'desk')).toMatchObject({ instanceId: 'gw-b', carbons: true, available: true });
      // gone from gw-a, quietly: no unavailable presence, nothing routed again
      expect(gw.core.directory.resource('alice@localhost', 'desk')?.session).toBeUndefined();
      expect(a.session.closed).toBe(true);
      // the moved session counts on: a new stanza is number 3, acknowledged on gw-b
      moved.send(x('message', { to: moved.full, id: 'after' }));
      expect(r.written.join('')).toContain('id="after"');

      // the connection drops again and the client comes back through gw-c: gw-a says where it went
      expect(gw2.core.registry.connectionLost.some((keep) => keep(moved))).toBe(true);
      const again = resumeAt(gw3, id, 3);
      await settle(30);
      expect(again.adopted()?.full).toBe('alice@localhost/desk');
      expect(again.written[0]).toContain('h="1"');
      expect(again.written.slice(1).join('')).toBe('');
    });

    it('fails with item-not-found for a session another user holds, an unknown one, or a holder that is gone', async () => {
      await gw.stop();
      const bus = new FakeBus();
      gw = await TestGateway.start({ modules: [smModule], bus, instanceId: 'gw-a' });
      gw2 = await TestGateway.start({ modules: [smModule], bus, instanceId: 'gw-b' });
      const m = await gw.login('mallory', 'desk');
      const { id } = await enable(m);
      expect(gw.core.registry.connectionLost.some((keep) => keep(m.session))).toBe(true);
      const r = resumeAt(gw2, id, 0); // alice tries mallory's session
      await settle(20);
      expect(r.written[0]).toMatch(/<failed.*item-not-found/);
      expect(r.adopted()).toBeUndefined();
      expect(gw.core.directory.resource('mallory@localhost', 'desk')?.session).toBe(m.session);
      const unknown = resumeAt(gw2, 'nothing.gw-a', 0);
      const gone = resumeAt(gw2, 'something.gw-z', 0);
      await settle(20);
      expect(unknown.written[0]).toMatch(/<failed.*item-not-found/);
      expect(gone.written[0]).toMatch(/<failed.*item-not-found/);
    });
  });

  describe('shutdown', () => {
    it('moves resumable sessions to another instance and drops their connections, so the clients resume there', async () => {
      await gw.stop();
      const bus = new FakeBus();
      gw = await TestGateway.start({ modules: [smModule], bus, instanceId: 'gw-a' });
      const gw2 = await TestGateway.start({ modules: [smModule], bus, instanceId: 'gw-b' });
      try {
        const a = await gw.login('alice', 'desk');
        const { id } = await enable(a);
        a.session.send(x('message', { to: a.full, id: 'in-flight' }));
        await gw.stop();
        expect(a.closedWith).toBe('closed'); // no stream error: the client will try to resume
        const held = gw2.core.directory.resource('alice@localhost', 'desk')?.session;
        expect(held).toBeDefined();
        expect(gw2.core.host.api(STREAM_MANAGEMENT)!.stats()).toMatchObject({ hibernating: 1, unacked: 1 });
        const written: string[] = [];
        let adopted: Session | undefined;
        const transport: SessionTransport = { secure: true, write: (xml) => void written.push(xml), close() {} };
        const stream: PreBindStream = { username: 'alice', transport, write: (xml) => void written.push(xml), adopt: (s) => (adopted = s), closed: false };
        expect(gw2.core.registry.preBindNonzas.some((h) => h(stream, parseXml(`<resume xmlns='${NS.sm}' previd='${id}' h='0'/>`)))).toBe(true);
        expect(adopted).toBe(held);
        expect(written[0]).toMatch(/^<resumed /);
        expect(written[1]).toContain('id="in-flight"');
      } finally {
        await gw2.stop();
        gw = await TestGateway.start({ modules: [smModule] });
      }
    });

    it('without another instance, a waiting session ends and its messages are routed again (offline storage)', async () => {
      await gw.stop();
      const stored: string[] = [];
      const offline = defineModule({ name: 'test-offline', init: (ctx) => ctx.hook(CoreHooks.offline, ({ stanza }) => (stored.push(stanza.attrs.id), true)) });
      gw = await TestGateway.start({ modules: [smModule, offline] });
      await gw.accounts('alice');
      const a = await gw.login('alice', 'desk');
      await enable(a);
      expect(gw.core.registry.connectionLost.some((keep) => keep(a.session))).toBe(true);
      a.session.send(x('message', { from: 'bob@localhost/pad', to: a.full, type: 'chat', id: 'held' }, x('body', null, 'hi')));
      await gw.stop();
      expect(stored).toEqual(['held']);
      gw = await TestGateway.start({ modules: [smModule] });
    });
  });
});
