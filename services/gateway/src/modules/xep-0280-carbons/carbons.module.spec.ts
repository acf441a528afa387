import { NS } from '@parley/stanza';
import { settle, TestGateway } from '../../testing/test-gateway';
import { carbonsModule } from './carbons.module';

const enable = `<iq type='set'><enable xmlns='${NS.carbons}'/></iq>`;

describe('XEP-0280 message carbons (in process)', () => {
  let gw: TestGateway;
  beforeEach(async () => (gw = await TestGateway.start({ modules: [carbonsModule] })));
  afterEach(() => gw.stop());

  async function setup() {
    const a1 = await gw.login('alice', 'desk');
    const a2 = await gw.login('alice', 'phone');
    const b = await gw.login('bob', 'pad');
    expect((await a2.iq(enable)).attrs.type).toBe('result');
    expect(gw.core.directory.resource('alice@localhost', 'phone')!.carbons).toBe(true);
    expect(gw.cluster.announced.at(-1)).toMatchObject({ op: 'up', resource: 'phone', state: { carbons: true } });
    return { a1, a2, b };
  }

  it('copies received and sent messages to the other carbon-enabled resources', async () => {
    const { a1, a2, b } = await setup();
    await b.send(`<message to='alice@localhost/desk' type='chat' id='in'><body>hello</body></message>`);
    const received = await a2.next((s) => s.name === 'message');
    const fwd = received.getChild('received', NS.carbons)!.getChild('forwarded', NS.forward)!.getChild('message')!;
    expect(fwd.attrs).toMatchObject({ id: 'in', from: 'bob@localhost/pad' });
    await a1.send(`<message to='bob@localhost/pad' type='chat' id='out'><body>hi back</body></message>`);
    const sent = await a2.next((s) => s.name === 'message');
    expect(sent.getChild('sent', NS.carbons)!.getChild('forwarded', NS.forward)!.getChild('message')!.attrs.id).toBe('out');
  });

  it('copies nothing of a message marked private, and removes the marker before delivery', async () => {
    const { a1, a2, b } = await setup();
    await b.send(`<message to='alice@localhost/desk' type='chat' id='p'><body>secret</body><private xmlns='${NS.carbons}'/></message>`);
    const got = await a1.next((s) => s.attrs.id === 'p');
    expect(got.getChild('private', NS.carbons)).toBeUndefined();
    await a1.send(`<message to='bob@localhost/pad' type='chat' id='p2'><body>x</body><private xmlns='${NS.carbons}'/></message>`);
    await settle();
    expect(a2.received).toEqual([]);
  });

  it('refuses toggling another account’s carbons', async () => {
    await gw.accounts('bob');
    const a = await gw.login('alice', 'desk');
    const r = await a.iq(`<iq type='set' to='bob@localhost'><enable xmlns='${NS.carbons}'/></iq>`);
    expect(r.getChild('error')!.getChild('not-allowed', NS.stanzas)).toBeDefined();
  });
});
