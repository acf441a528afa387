import { PrivateQuery, ProfileSubjects, SetPrivateCommand } from '@parley/contracts';
import { TestGateway } from '../../testing/test-gateway';
import { privateModule } from './private.module';

describe('XEP-0049 private XML module (in process, profile service faked on the bus)', () => {
  let gw: TestGateway;
  let asked: string[];
  const store = new Map<string, string>();

  beforeEach(async () => {
    asked = [];
    store.clear();
    gw = await TestGateway.start({ modules: [privateModule] });
    gw.bus.answer<PrivateQuery>(ProfileSubjects.getPrivate, (q) => {
      asked.push(q.owner);
      const xml = store.get(`${q.owner} ${q.ns}`);
      return xml ? { xml } : {};
    });
    gw.bus.answer<SetPrivateCommand>(ProfileSubjects.setPrivate, (c) => {
      asked.push(c.owner);
      for (const i of c.items) store.set(`${c.owner} ${i.ns}`, i.xml);
      return {};
    });
  });
  afterEach(() => gw.stop());

  it('stores and returns per namespace; an empty element when nothing is stored', async () => {
    const a = await gw.login('alice', 'desk');
    await a.iq(`<iq type='set'><query xmlns='jabber:iq:private'><exodus xmlns='exodus:prefs'><defaultnick>Hamlet</defaultnick></exodus></query></iq>`);
    const r = await a.iq(`<iq type='get'><query xmlns='jabber:iq:private'><exodus xmlns='exodus:prefs'/></query></iq>`);
    expect(r.getChild('query')!.getChild('exodus', 'exodus:prefs')!.getChildText('defaultnick')).toBe('Hamlet');
    const none = await a.iq(`<iq type='get'><query xmlns='jabber:iq:private'><other xmlns='urn:other'/></query></iq>`);
    expect(none.getChild('query')!.getChild('other', 'urn:other')!.children).toEqual([]);
  });

  it('refuses everyone but the owner before asking the service, and reserved namespaces', async () => {
    await gw.accounts('alice');
    const b = await gw.login('bob', 'desk');
    for (const type of ['get', 'set']) {
      const r = await b.iq(`<iq type='${type}' to='alice@localhost'><query xmlns='jabber:iq:private'><exodus xmlns='exodus:prefs'/></query></iq>`);
      expect(r.getChild('error')!.getChild('forbidden')).toBeDefined();
    }
    expect(asked).toEqual([]);
    const reserved = await b.iq(`<iq type='set'><query xmlns='jabber:iq:private'><x xmlns='jabber:client'/></query></iq>`);
    expect(reserved.getChild('error')!.getChild('not-acceptable')).toBeDefined();
    const inherited = await b.iq(`<iq type='get'><query xmlns='jabber:iq:private'><x/></query></iq>`);
    expect(inherited.getChild('error')!.getChild('not-acceptable')).toBeDefined();
  });
});
