// End-to-end: a NATS outage longer than ROUTE_PEER_TIMEOUT. Each gateway times the other
// out and drops its sessions from the directory; when the bus is back, the heartbeat of a
// peer it no longer knows makes it fetch that peer's sessions again, so messages between
// sessions that stayed open on different gateways flow again without anyone logging in,
// and contacts who were told the other side went unavailable see it available again.
import { waitFor } from '@parley/testing-stack';
import { GatewayProcess, TestClient, xml } from '@parley/testing-xmpp';
import { befriend, e2eUsers, E2EStack, startStack } from './stack';

jest.setTimeout(120_000);

describe('a NATS outage between two gateways', () => {
  let stack: E2EStack;
  let gw1: GatewayProcess;
  let gw2: GatewayProcess;
  const users = e2eUsers('outage password 1', () => gw1.starttlsPort);
  const env = { ROUTE_HEARTBEAT: '300ms', ROUTE_PEER_TIMEOUT: '1500ms' };

  beforeAll(async () => {
    stack = await startStack('outage');
    await stack.startService('roster');
    gw1 = await stack.startGateway(env);
    gw2 = await stack.startGateway(env);
  });

  afterAll(async () => {
    await Promise.all(users.clients.map((c) => c.stop()));
    await stack?.stop();
  });

  /** Sends until one arrives (the gateways learn of each other's sessions asynchronously). */
  const reaches = async (from: TestClient, to: TestClient, toBare: string, tag: string, timeoutMs: number) => {
    let n = 0;
    await waitFor(
      async () => {
        const id = `${tag}-${n++}`;
        await from.send(xml('message', { to: toBare, type: 'chat', id }, xml('body', {}, tag)));
        try {
          await to.waitFor((s) => s.is('message') && s.attrs.id === id, id, 700);
          return true;
        } catch {
          return false;
        }
      },
      { what: `${tag} to reach ${toBare}`, timeoutMs, intervalMs: 0 },
    );
  };

  it('routes between sessions that stayed open, once the bus is back', async () => {
    const [alice, bob] = await users.accounts('alice', 'bob');
    const a = await users.login(gw1, alice);
    const b = await users.login(gw2, bob);
    await reaches(a, b, users.jid(bob), 'before', 20_000);
    await befriend(a, b);
    await a.waitFor((s) => s.is('presence') && s.attrs.from === b.jid && s.attrs.type === undefined, "bob's presence", 20_000);
    const mark = a.received.length;

    stack.nats.pause();
    try {
      // Longer than ROUTE_PEER_TIMEOUT: each gateway drops the other's sessions.
      await new Promise((r) => setTimeout(r, 4000));
    } finally {
      stack.nats.resume();
    }
    // Both directions, within a few heartbeats of the bus coming back.
    await reaches(a, b, users.jid(bob), 'after', 15_000);
    await reaches(b, a, users.jid(alice), 'back', 15_000);
    // alice was told bob went away when gw1 timed gw2 out; after the re-sync she sees him again.
    const since = () => a.received.slice(mark).filter((s) => s.is('presence') && s.attrs.from === b.jid);
    await waitFor(() => since().some((s) => s.attrs.type === 'unavailable'), { what: 'bob unavailable during the outage', timeoutMs: 15_000 });
    await waitFor(
      () => {
        const seen = since();
        const last = seen[seen.length - 1];
        return last !== undefined && last.attrs.type === undefined;
      },
      { what: 'bob available again', timeoutMs: 15_000 },
    );
  });
});
