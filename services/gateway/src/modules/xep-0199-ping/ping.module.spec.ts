import { NS } from '@parley/stanza';
import { TestGateway } from '../../testing/test-gateway';
import { pingModule } from './ping.module';

describe('XEP-0199 ping (in process)', () => {
  let gw: TestGateway;
  beforeEach(async () => (gw = await TestGateway.start({ modules: [pingModule] })));
  afterEach(() => gw.stop());

  it('answers pings to the server and to the own account with an empty result', async () => {
    const a = await gw.login('alicE', 'desk');
    for (const to of ['localhost', 'alice@localhost']) {
      const r = await a.iq(`<iq type='get' to='${to}'><ping xmlns='${NS.ping}'/></iq>`);
      expect(r.attrs).toMatchObject({ type: 'result', to: 'alice@localhost/desk' });
      expect(r.children).toHaveLength(0);
    }
  });
});
