import { NS } from '@parley/stanza';
import { TestGateway } from '../../testing/test-gateway';
import { discoModule } from '../xep-0030-disco/disco.module';
import { NS_RETENTION, retentionModule } from './retention.module';

describe('XEP-0128 retention figures in the server’s disco#info (in process)', () => {
  let gw: TestGateway;
  afterEach(() => gw?.stop());

  it('carries a result form of FORM_TYPE urn:parley:retention:0 with the configured figures in seconds', async () => {
    gw = await TestGateway.start({ modules: [discoModule, retentionModule], env: { OFFLINE_RETENTION: '7d', ACCOUNT_INACTIVITY: '180d', UPLOAD_RETENTION: '3d' } });
    const a = await gw.login('alice', 'desk');
    const r = await a.iq(`<iq type='get' to='localhost'><query xmlns='${NS.discoInfo}'/></iq>`);
    const form = r.getChild('query')!.getChild('x', 'jabber:x:data')!;
    expect(form.attrs.type).toBe('result');
    const values = Object.fromEntries(form.getChildren('field').map((f) => [f.attrs.var, f.getChildText('value')]));
    expect(values).toEqual({
      FORM_TYPE: NS_RETENTION,
      offline: String(7 * 86400),
      archive: String(31 * 86400),
      uploads: String(3 * 86400),
      inactivity: String(180 * 86400),
      'delivery-log': String(30 * 86400),
    });
    // only the server's info carries it
    const acct = await a.iq(`<iq type='get' to='alice@localhost'><query xmlns='${NS.discoInfo}'/></iq>`);
    expect(acct.getChild('query')!.getChild('x', 'jabber:x:data')).toBeUndefined();
  });

  it('refuses a figure above the policy at start', async () => {
    await expect(TestGateway.start({ modules: [retentionModule], env: { ARCHIVE_RETENTION: '90d' } })).rejects.toThrow(/ARCHIVE_RETENTION/);
    await expect(TestGateway.start({ modules: [retentionModule], env: { UPLOAD_RETENTION: '11d' } })).rejects.toThrow(/UPLOAD_RETENTION/);
  });
});
