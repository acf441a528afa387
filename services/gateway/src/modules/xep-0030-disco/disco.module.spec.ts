import { NS } from '@parley/stanza';
import { x } from '@parley/xml';
import { defineModule } from '../../host';
import { TestGateway } from '../../testing/test-gateway';
import { pingModule } from '../xep-0199-ping/ping.module';
import { discoModule } from './disco.module';

const features = (q: { getChildren(n: string): Array<{ attrs: Record<string, string> }> }) => q.getChildren('feature').map((f) => f.attrs.var);

const example = defineModule({
  name: 'example',
  init(ctx) {
    ctx.accountFeature('urn:example:account');
    ctx.serverItem({ jid: 'upload.localhost', name: 'Uploads' });
    ctx.discoNode('urn:example:node', { info: () => [x('identity', { category: 'store', type: 'file' })] });
  },
});

describe('XEP-0030 service discovery (in process)', () => {
  let gw: TestGateway;
  beforeEach(async () => (gw = await TestGateway.start({ modules: [discoModule, pingModule, example] })));
  afterEach(() => gw.stop());

  it('lists the server identity and what every loaded module declared', async () => {
    const a = await gw.login('alice', 'desk');
    const info = (await a.iq(`<iq type='get' to='localhost'><query xmlns='${NS.discoInfo}'/></iq>`)).getChild('query', NS.discoInfo)!;
    expect(info.getChild('identity')!.attrs).toMatchObject({ category: 'server', type: 'im', name: 'Parley' });
    expect(features(info)).toEqual([NS.discoInfo, NS.discoItems, NS.ping].sort());
    const items = (await a.iq(`<iq type='get' to='localhost'><query xmlns='${NS.discoItems}'/></iq>`)).getChild('query', NS.discoItems)!;
    expect(items.getChildren('item').map((i) => i.attrs)).toEqual([{ jid: 'upload.localhost', name: 'Uploads' }]);
  });

  it('lists every account feature to the account itself, and to others only what is answered to anyone', async () => {
    await gw.accounts('bob');
    const a = await gw.login('alice', 'desk');
    const own = (await a.iq(`<iq type='get' to='alice@localhost'><query xmlns='${NS.discoInfo}'/></iq>`)).getChild('query', NS.discoInfo)!;
    expect(features(own)).toEqual([NS.discoInfo, NS.discoItems, NS.ping, 'urn:example:account'].sort());
    const other = (await a.iq(`<iq type='get' to='bob@localhost'><query xmlns='${NS.discoInfo}'/></iq>`)).getChild('query', NS.discoInfo)!;
    expect(other.getChild('identity')!.attrs).toMatchObject({ category: 'account', type: 'registered' });
    expect(features(other)).toEqual([NS.discoInfo, NS.discoItems, NS.ping].sort());
  });

  it('answers a declared node, and item-not-found for an unknown one', async () => {
    const a = await gw.login('alice', 'desk');
    const node = (await a.iq(`<iq type='get' to='localhost'><query xmlns='${NS.discoInfo}' node='urn:example:node'/></iq>`)).getChild('query', NS.discoInfo)!;
    expect(node.attrs.node).toBe('urn:example:node');
    expect(node.getChild('identity')!.attrs).toMatchObject({ category: 'store', type: 'file' });
    const unknown = await a.iq(`<iq type='get' to='localhost'><query xmlns='${NS.discoInfo}' node='urn:example:none'/></iq>`);
    expect(unknown.getChild('error')!.getChild('item-not-found', NS.stanzas)).toBeDefined();
  });
});
