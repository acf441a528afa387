import { ArchiveStoreV1, ArchiveSubjects, ARCHIVE_PREFS, EventEnvelope } from '@parley/contracts';
import { NS_MAM } from '@parley/xep';
import { settle, TestGateway } from '../../testing/test-gateway';
import { carbonsModule } from '../xep-0280-carbons/carbons.module';
import { mamModule } from './mam.module';
import { FakeBus } from '../../testing/fake-bus';

const SID = 'urn:xmpp:sid:0';

describe('XEP-0313 archive on the routing path (in process)', () => {
  let gw: TestGateway;
  afterEach(() => gw.stop());

  async function start() {
    const bus = new FakeBus();
    // alice opted in before this gateway started: the preferences stream replays it
    bus.streams.set(ARCHIVE_PREFS.name, [{ type: 'archive.evt.prefs-changed', data: { jid: 'alice@localhost', default: 'always', always: [], never: [], optedIn: true, version: 1 } }]);
    gw = await TestGateway.start({ modules: [mamModule, carbonsModule], bus });
  }

  it('advertises the archive on the account and stamps messages for an opted-in recipient', async () => {
    await start();
    const a = await gw.login('alice', 'desk');
    const b = await gw.login('bob', 'pad');
    expect(gw.core.registry.accountFeatures.has(NS_MAM)).toBe(true);
    await b.send(`<message to='alice@localhost/desk' type='chat' id='m1'><body>keep this</body><stanza-id xmlns='${SID}' by='alice@localhost' id='forged'/></message>`);
    const got = await a.next((s) => s.attrs.id === 'm1');
    const ids = got.getChildren('stanza-id').map((s) => s.attrs);
    expect(ids).toHaveLength(1);
    expect(ids[0].by).toBe('alice@localhost');
    expect(ids[0].id).not.toBe('forged');
    await settle();
    const stored = gw.bus.sent<EventEnvelope<ArchiveStoreV1>>(ArchiveSubjects.store).map((e) => e.data);
    expect(stored.map((s) => [s.owner, s.with, s.direction, s.stanzaId])).toEqual([['alice@localhost', 'bob@localhost', 'in', ids[0].id]]);
  });

  it('gives the sender’s carbons the sender’s archive id, never the recipient', async () => {
    await start();
    const a1 = await gw.login('alice', 'desk');
    const a2 = await gw.login('alice', 'phone');
    const b = await gw.login('bob', 'pad');
    await a2.iq(`<iq type='set'><enable xmlns='urn:xmpp:carbons:2'/></iq>`);
    await a1.send(`<message to='bob@localhost/pad' type='chat' id='out'><body>archived as sent</body></message>`);
    const delivered = await b.next((s) => s.attrs.id === 'out');
    expect(delivered.getChildren('stanza-id')).toEqual([]);
    const carbon = await a2.next((s) => s.name === 'message');
    const inner = carbon.getChild('sent', 'urn:xmpp:carbons:2')!.getChild('forwarded', 'urn:xmpp:forward:0')!.getChild('message')!;
    const sid = inner.getChildren('stanza-id').map((s) => s.attrs);
    const stored = gw.bus.sent<EventEnvelope<ArchiveStoreV1>>(ArchiveSubjects.store).map((e) => e.data);
    expect(stored.map((s) => [s.owner, s.direction])).toEqual([['alice@localhost', 'out']]);
    expect(sid).toEqual([{ xmlns: SID, by: 'alice@localhost', id: stored[0].stanzaId }]);
  });
});
