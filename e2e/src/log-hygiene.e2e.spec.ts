// End-to-end: logs cannot leak. Every process runs at LOG_LEVEL=debug while marker
// passwords and message bodies go through every path that logs — logins (right and
// wrong), live, offline and archived messages, hostile input, and a real database
// failure in the offline service whose query parameters hold a message body — and
// then no process's output contains a marker.
import { randomBytes } from 'node:crypto';
import { Client } from 'pg';
import { waitFor } from '@parley/testing-stack';
import { connectClient, GatewayProcess, RawXmpp, registerInBand, TestClient, xml } from '@parley/testing-xmpp';
import { E2EStack, startStack } from './stack';

const WAIT = 20_000;
const NS_MAM = 'urn:xmpp:mam:2';
const tag = randomBytes(4).toString('hex');
const PASSWORD = `pw-MARKER-${tag}-secret`;
const WRONG = `wrong-MARKER-${tag}-guess`;
const BODY = (n: string) => `body-MARKER-${tag}-${n}`;
const MARKER = new RegExp(`MARKER-${tag}`);

describe('logs hold no passwords or message bodies, end to end', () => {
  let stack: E2EStack;
  let gw1: GatewayProcess;
  let gw2: GatewayProcess;
  const clients: TestClient[] = [];
  const debug = { LOG_LEVEL: 'debug' };

  const login = async (gw: GatewayProcess, username: string, password = PASSWORD) => {
    const c = await connectClient({ port: gw.starttlsPort, username, password });
    clients.push(c);
    return c;
  };
  const sql = async (q: string) => {
    const c = new Client({ connectionString: stack.serviceDbUrl('offline') });
    await c.connect();
    try {
      await c.query(q);
    } finally {
      await c.end();
    }
  };

  beforeAll(async () => {
    stack = await startStack('logs');
    for (const s of ['roster', 'offline', 'archive'] as const) await stack.startService(s, debug);
    gw1 = await stack.startGateway(debug);
    gw2 = await stack.startGateway(debug);
  });

  afterAll(async () => {
    await Promise.all(clients.splice(0).map((c) => c.stop()));
    await stack?.stop();
  });

  it('keeps every marker out of every log', async () => {
    for (const u of ['alice', 'bob', 'carol']) expect(await registerInBand(gw1.starttlsPort, u, PASSWORD)).toMatch(/type=.result./);
    // a wrong password, by SCRAM and by PLAIN
    await expect(connectClient({ port: gw2.starttlsPort, username: 'alice', password: WRONG })).rejects.toThrow();
    await expect(connectClient({ port: gw2.starttlsPort, username: 'alice', password: WRONG, mechanism: 'PLAIN' })).rejects.toThrow();

    const a = await login(gw1, 'alice');
    const b = await login(gw2, 'bob');
    // live, across gateways
    await a.send(xml('message', { to: 'bob@localhost', type: 'chat', id: 'live' }, xml('body', {}, BODY('live'))));
    await b.waitFor((s) => s.attrs.id === 'live', 'live message', WAIT);
    // archived (opted in)
    await a.iq(xml('iq', { type: 'set' }, xml('prefs', { xmlns: NS_MAM, default: 'always' })), WAIT);
    await a.send(xml('message', { to: 'bob@localhost', type: 'chat', id: 'kept' }, xml('body', {}, BODY('archived'))));
    await b.waitFor((s) => s.attrs.id === 'kept', 'archived message', WAIT);
    await a.iq(xml('iq', { type: 'set' }, xml('query', { xmlns: NS_MAM, queryid: 'q1' })), WAIT);

    // offline, while the offline store refuses new rows: the insert fails in the database,
    // with the body among its parameters (and in Postgres' "failing row" detail), and is
    // retried once the store accepts rows again
    await sql('ALTER TABLE offline_message ADD CONSTRAINT refuse_all CHECK (false) NOT VALID');
    await a.send(xml('message', { to: 'carol@localhost', type: 'chat', id: 'off' }, xml('body', {}, BODY('offline'))));
    await waitFor(() => stack.services.get('offline')!.logs.some((l) => /"level":(40|50)/.test(l) && /offline_message/.test(l)), {
      what: 'the offline service logging the refused insert',
      timeoutMs: WAIT,
    });
    await sql('ALTER TABLE offline_message DROP CONSTRAINT refuse_all');
    const c = await waitFor(
      async () => {
        const client = await login(gw2, 'carol');
        const got = await client.waitFor((s) => s.attrs.id === 'off', 'offline message', 2_000).catch(() => undefined);
        if (!got) await client.stop();
        return got ? client : undefined;
      },
      { what: 'the offline message after the table came back', timeoutMs: WAIT },
    );
    expect(c.received.find((s) => s.attrs.id === 'off')?.getChildText('body')).toBe(BODY('offline'));

    // hostile input carrying markers: malformed XML, an oversize stanza, a forged sender
    const raw = await RawXmpp.connect(gw1.starttlsPort);
    raw.open();
    await raw.expect(/<\/stream:features>/);
    raw.send(`<message><body>${BODY('malformed')}</bod></message>`);
    await raw.expectClosed();
    await a.send(xml('message', { to: 'bob@localhost', from: 'bob@localhost/forged', type: 'chat' }, xml('body', {}, BODY('forged')))).catch(() => undefined);
    const big = await login(gw2, 'bob');
    await big.send(xml('message', { to: 'alice@localhost', type: 'chat' }, xml('body', {}, BODY('big') + 'x'.repeat(300_000)))).catch(() => undefined);

    const processes = [...stack.gateways.map((g, i) => [`gateway ${i + 1}`, g] as const), ...[...stack.services].map(([n, p]) => [n, p] as const)];
    for (const [name, p] of processes) {
      const leaked = p.logs.filter((l) => MARKER.test(l));
      expect({ name, leaked }).toEqual({ name, leaked: [] });
    }
    // the logs were not empty: they said what happened, without the data
    expect(processes.every(([, p]) => p.logs.length > 0)).toBe(true);
  });
});
