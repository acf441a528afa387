// End-to-end: the janitor with the gateway's side of it — last activity (XEP-0012), the
// admin commands (XEP-0050/0133), the delivery-error log of router bounces, and the
// deletion of an inactive account through gateway.cmd.delete-account, after which every
// owner erased the user while an active and an exempt account stay; a removal while NATS
// is down waits in the gateway's outbox and is erased everywhere once NATS is back. Real
// processes, real NATS with bus permissions, real Postgres, real clients; short settings (seconds).
import { execFile } from 'node:child_process';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { DeliveryErrorsResult, JanitorSubjects, OfflineSubjects, RosterGetResult, RosterSubjects } from '@parley/contracts';
import { Bus, BusReplyError } from '@parley/nats';
import { waitFor } from '@parley/testing-stack';
import { GatewayProcess, TestClient, xml } from '@parley/testing-xmpp';
import { Client } from 'pg';
import { befriend, E2EStack, e2eUsers, startStack } from './stack';

const PASSWORD = 'correct horse battery';
const WAIT = 30_000;
const COMMANDS = 'http://jabber.org/protocol/commands';
const run = promisify(execFile);
const CTL = join(__dirname, '../../dist/services/gateway/src/cli/ctl.js');

describe('the janitor with the gateway, end to end', () => {
  let stack: E2EStack;
  let gw: GatewayProcess;
  let bus: Bus;
  let admin: string;
  const { clients, accounts, jid, login } = e2eUsers(PASSWORD, () => gw.starttlsPort);

  const sql = async <T>(text: string, params: unknown[] = []): Promise<T[]> => {
    const c = new Client({ connectionString: stack.gatewayDb.url });
    await c.connect();
    try {
      return (await c.query(text, params)).rows as T[];
    } finally {
      await c.end();
    }
  };


  const lastOf = (c: TestClient, to: string) => c.iq(xml('iq', { type: 'get', to }, xml('query', { xmlns: 'jabber:iq:last' })), WAIT);

  beforeAll(async () => {
    stack = await startStack('janitor');
    await stack.startService('roster');
    await stack.startService('offline');
    await stack.startService('janitor', { JANITOR_SWEEP_INTERVAL: '1s' });
    gw = await stack.startGateway({ ADMINS: 'root1@localhost', GATEWAY_OUTBOX_INTERVAL: '500ms' });
    bus = await Bus.connect(stack.busOptions('janitor-e2e'));
    [admin] = await accounts('root');
  }, 120_000);

  afterEach(async () => {
    await Promise.all(clients.splice(0).map((c) => c.stop()));
  });

  afterAll(async () => {
    await bus?.close();
    await stack?.stop();
  }, 60_000);

  it('answers last activity: the server’s uptime, a contact’s last logout, and forbidden to a stranger', async () => {
    const [alice, bob, carol] = await accounts('Alice', 'Bob', 'Carol');
    const a = await login(gw, alice);
    const b = await login(gw, bob);
    const c = await login(gw, carol);
    await befriend(a, b);

    const uptime = await lastOf(a, 'localhost');
    expect(Number(uptime.attrs.seconds)).toBeGreaterThanOrEqual(0);
    const online = await lastOf(a, jid(bob));
    expect(online.attrs.seconds).toBe('0');

    await b.stop();
    // the janitor learns of the logout from the session event
    const after = await waitFor(
      async () => {
        try {
          return await lastOf(a, jid(bob));
        } catch (e) {
          if ((e as { condition?: string }).condition === 'item-not-found') return undefined;
          throw e;
        }
      },
      { what: "bob's last logout", timeoutMs: WAIT },
    );
    expect(Number(after.attrs.seconds)).toBeGreaterThanOrEqual(0);
    await expect(lastOf(c, jid(bob))).rejects.toMatchObject({ condition: 'forbidden' });
  });

  it('counts registered users for an admin (XEP-0133), and refuses the command to others', async () => {
    const root = await login(gw, admin);
    const [dave] = await accounts('Dave');
    const d = await login(gw, dave);
    const run = (c: TestClient) => c.iq(xml('iq', { type: 'set', to: 'localhost' }, xml('command', { xmlns: COMMANDS, node: 'http://jabber.org/protocol/admin#get-registered-users-num', action: 'execute' })), WAIT);
    const r = await run(root);
    expect(r.attrs.status).toBe('completed');
    const value = r.getChild('x', 'jabber:x:data')!.getChildren('field').find((f) => f.attrs.var === 'registeredusersnum')!.getChildText('value');
    const [{ n }] = await sql<{ n: number }>('SELECT count(*)::int AS n FROM accounts');
    expect(Number(value)).toBe(n);
    await expect(run(d)).rejects.toMatchObject({ condition: 'forbidden' });
  });

  it('logs a bounce to an unknown user in the delivery-error log, without its content', async () => {
    const [erin] = await accounts('Erin');
    const e = await login(gw, erin);
    await e.send(xml('message', { to: 'nobody-here@localhost', type: 'chat', id: 'bounce1' }, xml('body', {}, 'a very private sentence')));
    await e.waitFor((s) => s.is('message') && s.attrs.type === 'error' && s.attrs.id === 'bounce1', 'the bounce', WAIT);
    const log = await waitFor(
      async () => {
        const r = await bus.request<DeliveryErrorsResult>(JanitorSubjects.errors, { jid: jid(erin) });
        return r.items.length > 0 ? r : undefined;
      },
      { what: 'the logged failure', timeoutMs: WAIT },
    );
    expect(log.items).toEqual([{ source: 'gateway', from: jid(erin), to: 'nobody-here@localhost', kind: 'message', reason: 'service-unavailable', detail: 'unknown-user', at: expect.any(String) }]);
    expect(JSON.stringify(log)).not.toMatch(/private sentence|bounce1/);
    // and as operators read it
    const { stdout } = await run(process.execPath, [CTL, 'errors', '--jid', jid(erin)], { env: { ...process.env, ...stack.busEnv('gateway'), GATEWAY_DATABASE_URL: stack.gatewayDb.url } });
    expect(stdout).toContain(`message\t${jid(erin)} -> nobody-here@localhost\tservice-unavailable (unknown-user)`);
    expect(stdout).not.toMatch(/private sentence/);
  });

  it('erases an account removed while NATS is down once NATS is back: the deletion waited in the outbox', async () => {
    const [gone, friend] = await accounts('Gone', 'Friend');
    const g = await login(gw, gone);
    const f = await login(gw, friend);
    await befriend(g, f);
    const queued = () => sql<{ n: number }>(`SELECT count(*)::int AS n FROM outbox WHERE envelope->'data'->>'jid' = $1`, [jid(gone)]);
    stack.nats.pause();
    try {
      const r = await g.iqStanza(xml('iq', { type: 'set' }, xml('query', { xmlns: 'jabber:iq:register' }, xml('remove'))), WAIT);
      expect(r.attrs.type).toBe('result');
      // committed together: the account is gone and its event waits
      expect(await sql('SELECT 1 FROM accounts WHERE username = $1', [gone.toLowerCase()])).toEqual([]);
      expect((await queued())[0].n).toBe(1);
    } finally {
      stack.nats.resume();
    }
    await waitFor(async () => (await queued())[0].n === 0, { what: 'the outbox published', timeoutMs: WAIT });
    await waitFor(
      async () => {
        const r = await bus.request<RosterGetResult>(RosterSubjects.get, { user: jid(friend) });
        return r.kind === 'full' && !r.items.some((it) => it.jid === jid(gone));
      },
      { what: "the removed user gone from the friend's roster", timeoutMs: WAIT },
    );
  }, 120_000);

  it('deletes an inactive account through the gateway and every owner erases it, while an active and an exempt account stay', async () => {
    const [idle, active, exempt] = await accounts('Idle', 'Active', 'Exempt');
    const i = await login(gw, idle);
    const a = await login(gw, active);
    await befriend(i, a); // roster data on both sides
    await i.stop();
    await a.send(xml('message', { to: jid(idle), type: 'chat', id: 'off1' }, xml('body', {}, 'kept offline for idle')));
    await waitFor(async () => (await bus.request<{ count: number }>(OfflineSubjects.count, { user: jid(idle) })).count === 1, { what: 'the offline message', timeoutMs: WAIT });
    await waitFor(
      async () => {
        try {
          return await bus.request(JanitorSubjects.setExempt, { jid: jid(exempt), exempt: true });
        } catch (e) {
          if (e instanceof BusReplyError && e.error.condition === 'item-not-found') return undefined; // the janitor has not seen it yet
          throw e;
        }
      },
      { what: 'exempting an account', timeoutMs: WAIT },
    );

    // now a short inactivity: whoever has not been used for 4 s goes (the active user keeps a session open)
    await stack.services.get('janitor')!.stop();
    await stack.startService('janitor', { JANITOR_SWEEP_INTERVAL: '1s', ACCOUNT_INACTIVITY: '4s' });
    const exists = async (u: string) => (await sql('SELECT 1 FROM accounts WHERE username = $1', [u.toLowerCase()])).length > 0;
    await waitFor(async () => !(await exists(idle)), { what: 'the inactive account deleted', timeoutMs: WAIT });
    await waitFor(async () => (await bus.request<{ count: number }>(OfflineSubjects.count, { user: jid(idle) })).count === 0, { what: 'offline messages erased', timeoutMs: WAIT });
    await waitFor(
      async () => {
        const r = await bus.request<RosterGetResult>(RosterSubjects.get, { user: jid(idle) });
        return r.kind === 'full' && r.items.length === 0;
      },
      { what: 'roster erased', timeoutMs: WAIT },
    );
    // the active user's roster no longer holds the deleted contact either
    await waitFor(
      async () => {
        const r = await bus.request<RosterGetResult>(RosterSubjects.get, { user: jid(active) });
        return r.kind === 'full' && !r.items.some((it) => it.jid === jid(idle));
      },
      { what: "the contact gone from the active user's roster", timeoutMs: WAIT },
    );
    // the tombstone refuses the name; the other two accounts stay (checked after more passes ran)
    await waitFor(async () => (await sql('SELECT 1 FROM username_tombstones WHERE username = $1', [idle.toLowerCase()])).length === 1, { what: 'the tombstone', timeoutMs: WAIT });
    await waitFor(async () => (await bus.request<{ entries: unknown[] }>(JanitorSubjects.sweepNow, {})).entries.length > 0, { what: 'another pass', timeoutMs: WAIT });
    expect(await exists(active)).toBe(true);
    expect(await exists(exempt)).toBe(true);
  }, 120_000);
});
