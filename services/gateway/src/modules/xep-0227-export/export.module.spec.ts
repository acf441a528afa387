// "Export my data" through XEP-0050, in process, the owners faked on the bus.
import { ArchiveSubjects, JanitorSubjects, OfflineSubjects, ProfileSubjects, RosterSubjects, UploadSubjects } from '@parley/contracts';
import { NS } from '@parley/stanza';
import { TestGateway } from '../../testing/test-gateway';
import { discoModule } from '../xep-0030-disco/disco.module';
import { commandsModule } from '../xep-0050-commands/commands.module';
import { EXPORT_NODE, exportModule, NS_EXPORT } from './export.module';

const NS_COMMANDS = 'http://jabber.org/protocol/commands';
const execute = `<iq type='set' to='localhost'><command xmlns='${NS_COMMANDS}' node='${EXPORT_NODE}' action='execute'/></iq>`;

describe('data export as an ad-hoc command (in process)', () => {
  let gw: TestGateway;
  const asked: Array<{ subject: string; data: any }> = [];
  afterEach(() => gw?.stop());

  const owners = (gw: TestGateway, archived: number) => {
    const record = (subject: string) => (q: any) => void asked.push({ subject, data: q });
    gw.bus.answer(JanitorSubjects.accountActivity, (q) => (record(JanitorSubjects.accountActivity)(q), { known: true, createdAt: '2026-01-01T00:00:00.000Z', lastUsedAt: '2026-12-01T00:00:00.000Z', exempt: false, hidden: false }));
    gw.bus.answer(RosterSubjects.login, (q) => (record(RosterSubjects.login)(q), { ver: '1', items: [{ jid: 'bob@localhost', groups: [], subscription: 'both' }], probe: [], broadcast: [], pendingIn: [], blocked: [] }));
    gw.bus.answer(OfflineSubjects.fetch, (q) => (record(OfflineSubjects.fetch)(q), { messages: [] }));
    gw.bus.answer(ArchiveSubjects.getPrefs, (q) => (record(ArchiveSubjects.getPrefs)(q), { default: 'always', always: [], never: [] }));
    gw.bus.answer(ArchiveSubjects.lookup, (q) => (
      record(ArchiveSubjects.lookup)(q),
      {
        items: Array.from({ length: archived }, (_, i) => ({ id: `a${i}`, timestamp: '2026-12-01T00:00:00.000Z', with: 'bob@localhost', direction: 'in', stanza: `<message from='bob@localhost/r' to='alice@localhost' type='chat'><body>${'x'.repeat(1000)} ${i}</body></message>` })),
        complete: true,
      }
    ));
    gw.bus.answer(UploadSubjects.files, (q) => (record(UploadSubjects.files)(q), { files: [] }));
    gw.bus.answer(ProfileSubjects.export, (q) => (record(ProfileSubjects.export)(q), { private: [], nodes: [] }));
  };

  it("answers the caller's own data inside the completed command, as XEP-0227 and JSON", async () => {
    gw = await TestGateway.start({ modules: [discoModule, commandsModule, exportModule] });
    owners(gw, 2);
    const a = await gw.login('alice', 'desk');
    const items = await a.iq(`<iq type='get' to='localhost'><query xmlns='${NS.discoItems}' node='${NS_COMMANDS}'/></iq>`);
    expect(items.getChild('query')!.getChildren('item').map((i) => i.attrs.node)).toContain(EXPORT_NODE);
    const r = await a.iq(execute);
    const cmd = r.getChild('command', NS_COMMANDS)!;
    expect(cmd.attrs.status).toBe('completed');
    const data = cmd.getChild('server-data', 'urn:xmpp:pie:0')!;
    expect(data.getChild('host')!.getChild('user')!.attrs.name).toBe('alice');
    expect(String(data)).toContain('bob@localhost');
    const json = JSON.parse(cmd.getChild('json', NS_EXPORT)!.text());
    expect(json).toMatchObject({ jid: 'alice@localhost', account: { known: true, createdAt: '2026-01-01T00:00:00.000Z' }, archive: { prefs: { default: 'always' } } });
    expect(json.archive.messages).toHaveLength(2);
    // Every owner was asked about alice, and only about alice.
    expect(asked.length).toBeGreaterThanOrEqual(6);
    expect(asked.every((q) => [q.data.user, q.data.jid, q.data.owner].includes('alice@localhost'))).toBe(true);
  });

  it('refuses, with a note, a bundle larger than EXPORT_INLINE_MAX', async () => {
    gw = await TestGateway.start({ modules: [discoModule, commandsModule, exportModule], env: { EXPORT_INLINE_MAX: '65536' } });
    owners(gw, 200);
    const a = await gw.login('alice', 'desk');
    const cmd = (await a.iq(execute)).getChild('command', NS_COMMANDS)!;
    expect(cmd.attrs.status).toBe('completed');
    expect(cmd.getChild('note')!.attrs.type).toBe('error');
    expect(cmd.getChild('server-data', 'urn:xmpp:pie:0')).toBeUndefined();
  });

  it('answers service-unavailable while the owners do not answer', async () => {
    gw = await TestGateway.start({ modules: [discoModule, commandsModule, exportModule] });
    const a = await gw.login('alice', 'desk');
    const r = await a.iq(execute);
    expect(r.attrs.type).toBe('error');
    expect(r.getChild('error')!.getChild('service-unavailable', NS.stanzas)).toBeDefined();
  });
});
