import { NS } from '@parley/stanza';
import { parseXml } from '@parley/xml';
import { settle, TestGateway } from '../../testing/test-gateway';
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

  describe('password change (§3.3) on the shared login limiter', () => {
    const change = (password: string) => `<iq type='set'><query xmlns='${NS.register}'><username>alice</username><password>${password}</password></query></iq>`;
    afterEach(() => jest.useRealTimers());

    it('counts every change per (account, address) like a failed login; past the ceiling that address is refused, for SASL too, while others are heard', async () => {
      gw = await TestGateway.start({
        modules: [registerModule],
        env: { AUTH_FAILURES_PER_ACCOUNT: '2', AUTH_FAILURES_PER_PAIR: '100', AUTH_FAILURES_PER_ADDRESS: '100' },
      });
      const failed = jest.spyOn(gw.core.authThrottle, 'failed');
      const a = await gw.login('alice');
      expect((await a.iq(change('short'))).getChild('error')?.getChild('not-acceptable')).toBeDefined();
      expect((await a.iq(change('correct horse battery'))).attrs.type).toBe('result');
      expect(failed.mock.calls).toEqual([
        ['alice', '192.0.2.7'],
        ['alice', '192.0.2.7'],
      ]);
      const before = (await gw.store.find('alice'))!.sha256.storedKey;

      const refused = await a.iq(change('another good password'));
      expect(refused.attrs.type).toBe('error');
      expect(refused.getChild('error')?.attrs.type).toBe('wait');
      expect(refused.getChild('error')?.getChild('resource-constraint')).toBeDefined();
      expect((await gw.store.find('alice'))!.sha256.storedKey.equals(before)).toBe(true);
      // one limiter: a SASL login from this address is refused now, the owner elsewhere is not
      expect(gw.core.authThrottle.refused('alice', '192.0.2.7')).toBe(true);
      expect(gw.core.authThrottle.refused('alice', '198.51.100.1')).toBe(false);
    });

    it('holds the answer back (tarpit) beyond the free attempts, before deriving anything', async () => {
      gw = await TestGateway.start({ modules: [registerModule], env: { AUTH_FAILURES_PER_PAIR: '1', AUTH_TARPIT_MAX: '10s' } });
      const a = await gw.login('alice');
      expect((await a.iq(change('correct horse battery'))).attrs.type).toBe('result');
      const before = (await gw.store.find('alice'))!.sha256.storedKey;
      const derive = jest.spyOn(gw.core.accounts, 'changePassword');
      jest.useFakeTimers({ doNotFake: ['setImmediate', 'nextTick', 'queueMicrotask'] });
      const answer = a.iq(change('another good password'));
      await settle();
      expect(a.received).toEqual([]); // held back
      expect(derive).not.toHaveBeenCalled(); // and nothing derived yet
      jest.advanceTimersByTime(250);
      jest.useRealTimers();
      expect((await answer).attrs.type).toBe('result');
      expect((await gw.store.find('alice'))!.sha256.storedKey.equals(before)).toBe(false);
    });
  });
});
