import { AccountDeletedV1, EventEnvelope, GatewayEvents } from '@parley/contracts';
import { NS } from '@parley/stanza';
import type { Element } from '@parley/xml';
import { TestClient, TestGateway } from '../../testing/test-gateway';
import { discoModule } from '../xep-0030-disco/disco.module';
import { commandsModule } from '../xep-0050-commands/commands.module';
import { adminModule, AdminNodes } from './admin.module';

const NS_COMMANDS = 'http://jabber.org/protocol/commands';

/** Runs a command's first stage. */
const execute = (c: TestClient, node: string) => c.iq(`<iq type='set' to='localhost'><command xmlns='${NS_COMMANDS}' node='${node}' action='execute'/></iq>`);
/** Submits a form's fields. */
const complete = (c: TestClient, node: string, sid: string, fields: Record<string, string[]>) =>
  c.iq(
    `<iq type='set' to='localhost'><command xmlns='${NS_COMMANDS}' node='${node}' sessionid='${sid}' action='complete'><x xmlns='jabber:x:data' type='submit'>` +
      `<field var='FORM_TYPE' type='hidden'><value>http://jabber.org/protocol/admin</value></field>` +
      Object.entries(fields)
        .map(([k, vs]) => `<field var='${k}'>${vs.map((v) => `<value>${v}</value>`).join('')}</field>`)
        .join('') +
      `</x></command></iq>`,
  );
const field = (r: Element, name: string) =>
  r
    .getChild('command')!
    .getChild('x', 'jabber:x:data')!
    .getChildren('field')
    .find((f) => f.attrs.var === name)
    ?.getChildText('value');
const condition = (r: Element) => r.getChild('error')!.children.find((c) => typeof c !== 'string' && c.attrs.xmlns === NS.stanzas) as Element | undefined;

describe('XEP-0050 commands and XEP-0133 admin commands (in process)', () => {
  let gw: TestGateway;
  afterEach(() => gw?.stop());

  beforeEach(async () => {
    gw = await TestGateway.start({ modules: [discoModule, commandsModule, adminModule], env: { ADMINS: 'Root@localhost' } });
  });

  it('lists the admin commands to admins only, and advertises the commands feature', async () => {
    const root = await gw.login('root', 'desk');
    const user = await gw.login('user', 'desk');
    const items = async (c: TestClient) =>
      (await c.iq(`<iq type='get' to='localhost'><query xmlns='${NS.discoItems}' node='${NS_COMMANDS}'/></iq>`)).getChild('query')!.getChildren('item').map((i) => i.attrs.node);
    expect(await items(root)).toEqual(expect.arrayContaining(Object.values(AdminNodes)));
    expect(await items(user)).toEqual([]);
    const info = await root.iq(`<iq type='get' to='localhost'><query xmlns='${NS.discoInfo}' node='${AdminNodes.addUser}'/></iq>`);
    expect(info.getChild('query')!.getChild('identity')!.attrs).toMatchObject({ category: 'automation', type: 'command-node' });
    const server = await user.iq(`<iq type='get' to='localhost'><query xmlns='${NS.discoInfo}'/></iq>`);
    expect(server.getChild('query')!.getChildren('feature').map((f) => f.attrs.var)).toContain(NS_COMMANDS);
    // a non-admin may not run them
    const r = await execute(user, AdminNodes.getRegisteredUsersNum);
    expect(condition(r)?.name).toBe('forbidden');
  });

  it('counts registered and online users', async () => {
    await gw.accounts('a', 'b', 'c');
    const root = await gw.login('root', 'desk');
    await gw.login('a', 'one');
    await gw.login('a', 'two');
    const reg = await execute(root, AdminNodes.getRegisteredUsersNum);
    expect(reg.getChild('command')!.attrs.status).toBe('completed');
    expect(field(reg, 'registeredusersnum')).toBe('4');
    expect(field(await execute(root, AdminNodes.getOnlineUsersNum), 'onlineusersnum')).toBe('2');
  });

  it('adds a user, refuses a taken name, and deletes users (ending their sessions, publishing the deletion)', async () => {
    const root = await gw.login('root', 'desk');
    let start = await execute(root, AdminNodes.addUser);
    expect(start.getChild('command')!.attrs.status).toBe('executing');
    let sid = start.getChild('command')!.attrs.sessionid;
    const bad = await complete(root, AdminNodes.addUser, sid, { accountjid: ['dora@localhost'], password: ['a long password'], 'password-verify': ['another one'] });
    expect(condition(bad)?.name).toBe('not-acceptable');
    const ok = await complete(root, AdminNodes.addUser, sid, { accountjid: ['dora@localhost'], password: ['a long password'], 'password-verify': ['a long password'] });
    expect(ok.getChild('command')!.attrs.status).toBe('completed');
    expect(await gw.store.exists('dora')).toBe(true);
    start = await execute(root, AdminNodes.addUser);
    sid = start.getChild('command')!.attrs.sessionid;
    const taken = await complete(root, AdminNodes.addUser, sid, { accountjid: ['dora@localhost'], password: ['a long password'], 'password-verify': ['a long password'] });
    expect(condition(taken)?.name).toBe('conflict');

    const dora = await gw.login('dora', 'phone');
    start = await execute(root, AdminNodes.deleteUser);
    sid = start.getChild('command')!.attrs.sessionid;
    const del = await complete(root, AdminNodes.deleteUser, sid, { accountjids: ['dora@localhost'] });
    expect(del.getChild('command')!.attrs.status).toBe('completed');
    expect(await gw.store.exists('dora')).toBe(false);
    expect(dora.closedWith).toMatchObject({ condition: 'not-authorized' });
    expect(gw.bus.sent<EventEnvelope<AccountDeletedV1>>(GatewayEvents.accountDeleted).map((e) => e.data)).toEqual([{ jid: 'dora@localhost', reason: 'admin' }]);
  });

  it('ends a user’s sessions, and follows the XEP-0050 session rules (cancel, unknown session, bad action)', async () => {
    await gw.accounts('eve');
    const root = await gw.login('root', 'desk');
    const eve1 = await gw.login('eve', 'one');
    const eve2 = await gw.login('eve', 'two');
    let start = await execute(root, AdminNodes.endUserSession);
    let sid = start.getChild('command')!.attrs.sessionid;
    await complete(root, AdminNodes.endUserSession, sid, { accountjids: ['eve@localhost/one'] });
    expect(eve1.closedWith).toMatchObject({ condition: 'policy-violation' });
    expect(eve2.closedWith).toBeUndefined();
    start = await execute(root, AdminNodes.endUserSession);
    sid = start.getChild('command')!.attrs.sessionid;
    await complete(root, AdminNodes.endUserSession, sid, { accountjids: ['eve@localhost'] });
    expect(eve2.closedWith).toMatchObject({ condition: 'policy-violation' });

    start = await execute(root, AdminNodes.deleteUser);
    sid = start.getChild('command')!.attrs.sessionid;
    const cancel = await root.iq(`<iq type='set' to='localhost'><command xmlns='${NS_COMMANDS}' node='${AdminNodes.deleteUser}' sessionid='${sid}' action='cancel'/></iq>`);
    expect(cancel.getChild('command')!.attrs.status).toBe('canceled');
    const gone = await complete(root, AdminNodes.deleteUser, sid, { accountjids: ['eve@localhost'] });
    expect(gone.getChild('error')!.getChild('bad-sessionid', NS_COMMANDS)).toBeDefined();
    const other = await gw.login('root', 'laptop'); // a session id belongs to the full JID that started it
    start = await execute(root, AdminNodes.deleteUser);
    sid = start.getChild('command')!.attrs.sessionid;
    expect((await complete(other, AdminNodes.deleteUser, sid, { accountjids: ['eve@localhost'] })).getChild('error')!.getChild('bad-sessionid', NS_COMMANDS)).toBeDefined();
    const next = await root.iq(`<iq type='set' to='localhost'><command xmlns='${NS_COMMANDS}' node='${AdminNodes.deleteUser}' sessionid='${sid}' action='next'/></iq>`);
    expect(next.getChild('error')!.getChild('bad-action', NS_COMMANDS)).toBeDefined();
    const unknown = await root.iq(`<iq type='set' to='localhost'><command xmlns='${NS_COMMANDS}' node='urn:nope' action='execute'/></iq>`);
    expect(condition(unknown)?.name).toBe('item-not-found');
    expect(await gw.store.exists('eve')).toBe(true);
  });

  it('refuses to start with an ADMINS entry that is not a bare JID of the domain', async () => {
    await expect(TestGateway.start({ modules: [commandsModule, adminModule], env: { ADMINS: 'root@elsewhere' } })).rejects.toThrow(/ADMINS/);
  });
});
