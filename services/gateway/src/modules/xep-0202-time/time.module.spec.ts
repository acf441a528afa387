import { NS } from '@parley/stanza';
import { TestGateway } from '../../testing/test-gateway';
import { timeModule } from './time.module';

describe('XEP-0202 entity time (in process)', () => {
  it('answers the server time in UTC', async () => {
    const gw = await TestGateway.start({ modules: [timeModule] });
    const a = await gw.login('alice', 'desk');
    const before = Date.now();
    const t = (await a.iq(`<iq type='get' to='localhost'><time xmlns='${NS.time}'/></iq>`)).getChild('time', NS.time)!;
    expect(t.getChildText('tzo')).toBe('+00:00');
    const utc = Date.parse(t.getChildText('utc')!);
    expect(utc).toBeGreaterThanOrEqual(before - 1);
    expect(utc).toBeLessThanOrEqual(Date.now() + 1);
    await gw.stop();
  });
});
