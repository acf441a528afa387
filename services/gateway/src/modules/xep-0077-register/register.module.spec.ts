import { NS } from '@parley/stanza';
import { parseXml } from '@parley/xml';
import { TestGateway } from '../../testing/test-gateway';
import { registerModule } from './register.module';

const conn = { secure: true, address: '192.0.2.7' };
const registration = (user: string) => parseXml(`<iq type='set' id='r'><query xmlns='${NS.register}'><username>${user}</username><password>correct horse battery</password></query></iq>`);

describe('XEP-0077 in-band registration (in process)', () => {
  let gw: TestGateway;
  afterEach(() => gw.stop());

  const preAuth = () => gw.core.registry.preAuthIq.get(NS.register)!;

  it('creates accounts before authentication, refuses a taken name, and limits registrations per address', async () => {
    gw = await TestGateway.start({ modules: [registerModule], env: { REGISTRATION_LIMIT: '2' } });
    expect(gw.core.registry.preAuthFeatures.map((f) => f(true)?.attrs.xmlns)).toEqual([NS.registerFeature]);
    await preAuth()(registration('alicE'), conn);
    expect(await gw.store.exists('alice')).toBe(true);
    await expect(preAuth()(registration('alice'), conn)).rejects.toMatchObject({ condition: 'conflict' });
    await preAuth()(registration('bob'), conn);
    await expect(preAuth()(registration('carol'), conn)).rejects.toMatchObject({ condition: 'resource-constraint' });
    await preAuth()(registration('carol'), { ...conn, address: '192.0.2.8' });
  });

  it('counts failed attempts too, so probing for taken names is bounded', async () => {
    gw = await TestGateway.start({ modules: [registerModule], env: { REGISTRATION_ATTEMPTS: '3' } });
    await preAuth()(registration('alice'), conn);
    for (let i = 0; i < 2; i++) await expect(preAuth()(registration('alice'), conn)).rejects.toMatchObject({ condition: 'conflict' });
    // three attempts used: even a free name waits now, from this address only
    await expect(preAuth()(registration('dora'), conn)).rejects.toMatchObject({ condition: 'resource-constraint' });
    expect(await gw.store.exists('dora')).toBe(false);
    await preAuth()(registration('dora'), { ...conn, address: '192.0.2.8' });
  });

  it('exempts the allowlist (loopback by default, IPv4-mapped too) from the limits', async () => {
    gw = await TestGateway.start({ modules: [registerModule], env: { REGISTRATION_LIMIT: '1', REGISTRATION_ATTEMPTS: '1' } });
    for (const [u, address] of [['u1', '127.0.0.1'], ['u2', '::ffff:127.0.0.1'], ['u3', '::1'], ['u4', '127.0.0.1']]) await preAuth()(registration(u), { secure: true, address });
    expect(await gw.store.exists('u4')).toBe(true);
  });

  it('registers nobody in band by invitation mode (until invitations exist) and says why', async () => {
    gw = await TestGateway.start({ modules: [registerModule], env: { REGISTRATION_MODE: 'invite' } });
    expect(gw.core.registry.preAuthFeatures.map((f) => f(true))).toEqual([undefined]);
    await expect(preAuth()(registration('alice'), conn)).rejects.toMatchObject({ condition: 'not-allowed', text: expect.stringMatching(/invitation/) });
    expect(await gw.store.exists('alice')).toBe(false);
  });

  it('is closed with REGISTRATION_MODE=closed', async () => {
    gw = await TestGateway.start({ modules: [registerModule], env: { REGISTRATION_MODE: 'closed' } });
    expect(gw.core.registry.preAuthFeatures.map((f) => f(true))).toEqual([undefined]);
    await expect(preAuth()(registration('alice'), conn)).rejects.toMatchObject({ condition: 'service-unavailable' });
  });

  it('is off when REGISTRATION_ENABLED is false', async () => {
    gw = await TestGateway.start({ modules: [registerModule], env: { REGISTRATION_ENABLED: 'false' } });
    expect(gw.core.registry.preAuthFeatures.map((f) => f(true))).toEqual([undefined]);
    await expect(preAuth()(registration('alice'), conn)).rejects.toMatchObject({ condition: 'service-unavailable' });
  });

  it('removes the account of a bound session, answering before its streams end', async () => {
    gw = await TestGateway.start({ modules: [registerModule] });
    const a = await gw.login('alice', 'desk');
    const other = await gw.login('alice', 'phone');
    const res = await a.iq(`<iq type='set'><query xmlns='${NS.register}'><remove/></query></iq>`);
    expect(res.attrs.type).toBe('result');
    expect(await gw.store.exists('alice')).toBe(false);
    expect(a.closedWith).toMatchObject({ condition: 'not-authorized' });
    expect(other.closedWith).toMatchObject({ condition: 'not-authorized' });
    expect(gw.core.directory.resources('alice@localhost')).toEqual([]);
  });
});
