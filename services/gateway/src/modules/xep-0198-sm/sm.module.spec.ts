import { NS } from '@parley/stanza';
import { parseXml, x } from '@parley/xml';
import type { PreBindStream, Session, SessionTransport } from '../../host';
import { settle, TestClient, TestGateway } from '../../testing/test-gateway';
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
    const stream: PreBindStream = { username: 'alice', transport, write: (xml) => void written.push(xml), adopt: (s) => (adopted = s) };
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
});
