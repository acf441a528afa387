import { PepLastItemsQuery, PepNotificationV1, PepPublishCommand, ProfileEvents, ProfileSubjects, PutCapsCommand } from '@parley/contracts';
import { capsVer } from '@parley/xep';
import { Element } from '@parley/xml';
import { settle, TestClient, TestGateway } from '../../testing/test-gateway';
import { presenceModule } from '../rfc6121-presence/presence.module';
import { pepModule } from './pep.module';

const NICK = 'http://jabber.org/protocol/nick';
const DISCO = 'http://jabber.org/protocol/disco#info';
const features = [DISCO, `${NICK}+notify`];
const identity = { category: 'client', type: 'pc', name: 'spec' };
const VER = capsVer({ identities: [identity], features, forms: [] }, 'sha-1')!;
const capsPresence = `<presence><c xmlns='http://jabber.org/protocol/caps' hash='sha-1' node='https://spec' ver='${VER}'/></presence>`;
const answer = (q: Element, feats = features) =>
  `<iq type='result' id='${q.attrs.id}' to='localhost'><query xmlns='${DISCO}' node='https://spec#${VER}'><identity category='client' type='pc' name='spec'/>${feats.map((f) => `<feature var='${f}'/>`).join('')}</query></iq>`;
const nickEvent = (recipients: string[], nick = 'Al'): PepNotificationV1 => ({ publisher: 'alice@localhost', node: NICK, kind: 'items', item: { id: 'current', payload: `<nick xmlns='${NICK}'>${nick}</nick>` }, recipients });
const isEvent = (s: Element) => s.name === 'message' && !!s.getChild('event', 'http://jabber.org/protocol/pubsub#event');

describe('XEP-0163 PEP module (in process, profile service faked on the bus)', () => {
  let gw: TestGateway;
  let put: PutCapsCommand[];
  let lastAsked: PepLastItemsQuery[];

  beforeEach(async () => {
    put = [];
    lastAsked = [];
    gw = await TestGateway.start({ modules: [presenceModule, pepModule] });
    gw.bus.answer(ProfileSubjects.getCaps, () => ({}));
    gw.bus.answer<PutCapsCommand>(ProfileSubjects.putCaps, (c) => {
      put.push(c);
      return {};
    });
    gw.bus.answer<PepLastItemsQuery>(ProfileSubjects.lastItems, (q) => {
      lastAsked.push(q);
      return { items: [{ publisher: 'carol@localhost', node: NICK, item: { id: 'c1', payload: `<nick xmlns='${NICK}'>Carol</nick>` } }] };
    });
  });
  afterEach(() => gw.stop());

  const withCaps = async (user: string, feats = features): Promise<TestClient> => {
    const c = await gw.online(user, 'desk', capsPresence);
    const q = await c.next((s) => s.name === 'iq' && s.attrs.type === 'get' && !!s.getChild('query', DISCO), 'the caps query');
    expect(q.attrs.from).toBe('localhost');
    expect(q.getChild('query')!.attrs.node).toBe(`https://spec#${VER}`);
    await c.send(answer(q, feats));
    await settle();
    return c;
  };

  it('verifies the caps answer, shares it, sends the last items and then delivers notifications for +notify nodes', async () => {
    const b = await withCaps('bob');
    expect(put).toEqual([{ key: `sha-1:${VER}`, features }]);
    expect(lastAsked).toEqual([{ user: 'bob@localhost', nodes: [NICK] }]);
    const last = await b.next(isEvent, 'the last item');
    expect(last.attrs.from).toBe('carol@localhost');
    gw.bus.publish(ProfileEvents.notify, nickEvent(['bob@localhost']));
    const n = await b.next((s) => isEvent(s) && s.attrs.from === 'alice@localhost');
    expect(n.attrs.type).toBe('headline');
    expect(n.getChild('event')!.getChild('items')!.getChild('item')!.getChildText('nick', NICK)).toBe('Al');
    // other nodes, other users: nothing
    gw.bus.publish(ProfileEvents.notify, { ...nickEvent(['bob@localhost']), node: 'urn:other' });
    gw.bus.publish(ProfileEvents.notify, nickEvent(['carol@localhost']));
    await settle();
    expect(await b.drain(isEvent)).toEqual([]);
  });

  it('trusts nothing from an answer that does not hash to its ver', async () => {
    const b = await withCaps('bob', [DISCO, `${NICK}+notify`, 'urn:extra']);
    expect(put).toEqual([]);
    expect(lastAsked).toEqual([]);
    gw.bus.publish(ProfileEvents.notify, nickEvent(['bob@localhost']));
    await settle();
    expect(await b.drain(isEvent)).toEqual([]);
  });

  it('uses the shared cache without asking the client', async () => {
    gw.bus.answer(ProfileSubjects.getCaps, () => ({ features }));
    const b = await gw.online('bob', 'desk', capsPresence);
    await b.next(isEvent, 'the last item');
    expect(await b.drain((s) => s.name === 'iq')).toEqual([]);
  });

  it('lets only the owner publish, and maps the service\'s refusals to pubsub errors', async () => {
    let asked: PepPublishCommand | undefined;
    gw.bus.answer<PepPublishCommand>(ProfileSubjects.publish, (c) => {
      asked = c;
      return { ok: false, refusal: { condition: 'conflict', text: 'the node is configured otherwise', pubsub: 'precondition-not-met' } };
    });
    const a = await gw.login('alice', 'desk');
    const m = await gw.login('mallory', 'x');
    const pub = `<pubsub xmlns='http://jabber.org/protocol/pubsub'><publish node='${NICK}'><item><nick xmlns='${NICK}'>x</nick></item></publish></pubsub>`;
    const forbidden = await m.iq(`<iq type='set' to='alice@localhost'>${pub}</iq>`);
    expect(forbidden.getChild('error')!.getChild('forbidden')).toBeDefined();
    expect(asked).toBeUndefined();
    const refused = await a.iq(`<iq type='set'>${pub}</iq>`);
    expect(refused.getChild('error')!.attrs.type).toBe('cancel');
    expect(refused.getChild('error')!.getChild('conflict')).toBeDefined();
    expect(refused.getChild('error')!.getChild('precondition-not-met', 'http://jabber.org/protocol/pubsub#errors')).toBeDefined();
    expect(asked).toMatchObject({ owner: 'alice@localhost', node: NICK, item: { payload: `<nick xmlns="${NICK}">x</nick>` } });
  });

  it('answers service-unavailable while the profile service is down', async () => {
    const a = await gw.login('alice', 'desk');
    const r = await a.iq(`<iq type='get'><pubsub xmlns='http://jabber.org/protocol/pubsub'><items node='${NICK}'/></pubsub></iq>`);
    expect(r.getChild('error')!.getChild('service-unavailable')).toBeDefined();
  });
});
