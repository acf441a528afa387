import { defineModule } from '../../host';
import { settle, TestGateway } from '../../testing/test-gateway';
import { PRESENCE, PresenceHooks } from './api';
import { presenceModule } from './presence.module';

/** Stands in for the roster: bob subscribes to alice's presence. */
const subscribers = defineModule({
  name: 'test-subscribers',
  requires: [PRESENCE],
  init(ctx) {
    ctx.hook(PresenceHooks.broadcastTargets, (e) => void (e.session.bare === 'alice@localhost' && e.targets.push('bob@localhost', 'bob@localhost')));
  },
});

describe('RFC 6121 presence (in process)', () => {
  let gw: TestGateway;
  afterEach(() => gw.stop());

  it('broadcasts initial presence to the own resources and the targets other modules add, once each', async () => {
    const initial: string[] = [];
    const afterInitial = defineModule({ name: 'after', requires: [PRESENCE], init: (ctx) => ctx.hook(PresenceHooks.afterInitial, ({ session }) => void initial.push(session.full)) });
    gw = await TestGateway.start({ modules: [presenceModule, subscribers, afterInitial] });
    const bob = await gw.online('bob', 'phone');
    const other = await gw.online('alice', 'desk');
    await bob.drain();
    await other.drain();
    const a = await gw.login('alicE', 'laptop');
    await a.send(`<presence><show>away</show><priority>5</priority></presence>`);
    await settle();
    expect(a.session).toMatchObject({ available: true, priority: 5 });
    expect((await other.drain()).map((p) => [p.attrs.from, p.getChildText('show')])).toEqual([['alice@localhost/laptop', 'away']]);
    expect((await bob.drain()).map((p) => p.attrs.from)).toEqual(['alice@localhost/laptop']);
    expect(initial).toEqual(['bob@localhost/phone', 'alice@localhost/desk', 'alice@localhost/laptop']);
    // a second available presence is not initial
    await a.send(`<presence/>`);
    await settle();
    expect(initial).toHaveLength(3);
  });

  it('tells recipients of directed presence, and subscribers, when the session goes away', async () => {
    gw = await TestGateway.start({ modules: [presenceModule, subscribers] });
    const bob = await gw.online('bob', 'phone');
    const carol = await gw.online('carol', 'pad');
    const a = await gw.online('alice', 'desk');
    await a.send(`<presence to='carol@localhost/pad'/>`);
    await settle();
    expect(gw.core.host.api(PRESENCE)!.directedTo(a.session)).toEqual(new Set(['carol@localhost/pad']));
    await bob.drain();
    await carol.drain();
    a.close();
    await settle();
    expect((await carol.drain()).map((p) => [p.attrs.from, p.attrs.type])).toEqual([['alice@localhost/desk', 'unavailable']]);
    expect((await bob.drain()).map((p) => [p.attrs.from, p.attrs.type])).toEqual([['alice@localhost/desk', 'unavailable']]);
  });

  it('remembers directed presence for at most PRESENCE_MAX_DIRECTED addresses; past it the sender gets resource-constraint', async () => {
    gw = await TestGateway.start({ modules: [presenceModule], env: { PRESENCE_MAX_DIRECTED: '2' } });
    const a = await gw.online('alice', 'desk');
    await a.drain();
    await a.send(`<presence to='carol@localhost/pad'/>`);
    await a.send(`<presence to='dave@localhost/pad'/>`);
    await a.send(`<presence to='carol@localhost/pad'/>`); // already remembered: fine
    await a.send(`<presence to='erin@localhost/pad'/>`);
    await settle();
    expect(gw.core.host.api(PRESENCE)!.directedTo(a.session)).toEqual(new Set(['carol@localhost/pad', 'dave@localhost/pad']));
    const errors = (await a.drain()).filter((p) => p.attrs.type === 'error');
    expect(errors.map((e) => [e.attrs.from, e.getChild('error')?.attrs.type, e.getChild('error')?.children.find((c) => typeof c !== 'string' && c.name === 'resource-constraint') !== undefined])).toEqual([['erin@localhost/pad', 'wait', true]]);
  });

  it('drops presence of other types without a recipient', async () => {
    gw = await TestGateway.start({ modules: [presenceModule] });
    const other = await gw.online('alice', 'desk');
    const a = await gw.online('alice', 'laptop');
    await other.drain();
    await a.send(`<presence type='subscribe'/>`);
    expect(await other.drain()).toEqual([]);
  });
});
