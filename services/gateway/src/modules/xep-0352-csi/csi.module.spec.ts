import { NS } from '@parley/stanza';
import { x } from '@parley/xml';
import { settle, TestGateway } from '../../testing/test-gateway';
import { csiModule } from './csi.module';

describe('XEP-0352 client state indication (in process)', () => {
  it('offers the feature; while inactive holds presence and sends it with the next message or when active', async () => {
    const gw = await TestGateway.start({ modules: [csiModule] });
    expect(gw.core.registry.streamFeatures.map((f) => f(undefined)?.attrs.xmlns)).toContain(NS.csi);
    const bob = await gw.login('bob', 'phone');
    const a = await gw.login('alice', 'desk');
    const nonza = (name: string) => gw.core.registry.nonzas.some((h) => h(bob.session, x(name, { xmlns: NS.csi })));
    expect(nonza('inactive')).toBe(true);
    await a.send(`<presence to='bob@localhost/phone' id='p1'/>`);
    await settle();
    expect(bob.received).toEqual([]);
    await a.send(`<message to='bob@localhost/phone' type='chat' id='m1'><body>wake up</body></message>`);
    expect((await bob.drain()).map((s) => s.attrs.id)).toEqual(['p1', 'm1']);
    await a.send(`<presence to='bob@localhost/phone' id='p2'/>`);
    await settle();
    expect(bob.received).toEqual([]);
    expect(nonza('active')).toBe(true);
    expect((await bob.drain()).map((s) => s.attrs.id)).toEqual(['p2']);
    expect(nonza('unknown')).toBe(false);
    await gw.stop();
  });
});
