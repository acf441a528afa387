// Session events leave each instance in batches (gateway.evt.sessions-changed): in order,
// one event per window, at once when a batch is full, and the rest at shutdown.
import { GatewayEvents, SessionsChangedV1 } from '@parley/contracts';
import { settle, TestGateway } from '../testing/test-gateway';
import { SESSION_EVENTS_MAX_BATCH } from './sessions';

const batches = (gw: TestGateway) => gw.bus.published.filter((p) => p.subject === GatewayEvents.sessionsChanged).map((p) => (p.data as { data: SessionsChangedV1 }).data);

describe('session events', () => {
  it('publishes the sessions opened and closed in one window as one event, in order, after the window', async () => {
    const gw = await TestGateway.start({ modules: [], env: { SESSION_EVENTS_WINDOW: '200ms' }, instanceId: 'gw-7' });
    try {
      const a = await gw.login('anna', 'one');
      await gw.login('ben', 'two');
      a.transport.close();
      await settle();
      expect(batches(gw)).toEqual([]); // still inside the window
      await new Promise((r) => setTimeout(r, 400));
      const b = batches(gw);
      expect(b).toHaveLength(1);
      expect(b[0].instanceId).toBe('gw-7');
      expect(b[0].changes.map((c) => [c.jid, c.kind])).toEqual([
        ['anna@localhost/one', 'opened'],
        ['ben@localhost/two', 'opened'],
        ['anna@localhost/one', 'closed'],
      ]);
      expect(b[0].changes[0].mechanism).toBe('SCRAM-SHA-256');
      expect(b[0].changes[2].reason).toBe('closed');
      for (const c of b[0].changes) expect(Number.isNaN(Date.parse(c.at))).toBe(false);
      expect(JSON.stringify(b)).not.toContain('192.0.2.7'); // the client's address stays out
    } finally {
      await gw.stop();
    }
  });

  it('sends a full batch at once, and what is left when the gateway stops', async () => {
    const gw = await TestGateway.start({ modules: [], env: { SESSION_EVENTS_WINDOW: '10s' } });
    for (let i = 0; i < SESSION_EVENTS_MAX_BATCH + 3; i++) await gw.login(`u${i}`, 'r');
    await settle();
    expect(batches(gw).map((b) => b.changes.length)).toEqual([SESSION_EVENTS_MAX_BATCH]);
    await gw.stop(); // ends the sessions: their closings and the 3 left over go out before the bus does
    const after = batches(gw);
    // 3 openings left + 503 closings: a full batch at once, the last 6 at the end of the stop
    expect(after.map((b) => b.changes.length)).toEqual([SESSION_EVENTS_MAX_BATCH, SESSION_EVENTS_MAX_BATCH, 6]);
    expect(after.flatMap((b) => b.changes).filter((c) => c.kind === 'closed')).toHaveLength(SESSION_EVENTS_MAX_BATCH + 3);
    expect(after.flatMap((b) => b.changes).filter((c) => c.kind === 'opened')).toHaveLength(SESSION_EVENTS_MAX_BATCH + 3);
  });

  it('records a session moved by a XEP-0198 resumption as closed here and opened there, both with reason moved', async () => {
    const from = await TestGateway.start({ modules: [], env: { SESSION_EVENTS_WINDOW: '0s' }, instanceId: 'gw-a' });
    const to = await TestGateway.start({ modules: [], env: { SESSION_EVENTS_WINDOW: '0s' }, instanceId: 'gw-b' });
    try {
      const c = await from.login('dora', 'phone');
      const state = from.core.sessions.moveOut(c.session!);
      const there = await to.login('someone', 'else'); // a transport to adopt onto
      to.core.sessions.adopt('dora@localhost/phone', there.transport, 'SCRAM-SHA-256', { available: true, priority: 0, carbons: false }, state);
      await settle();
      const changes = (gw: TestGateway) => batches(gw).flatMap((b) => b.changes.map((x) => [b.instanceId, x.jid, x.kind, x.reason ?? '']));
      expect(changes(from)).toEqual([
        ['gw-a', 'dora@localhost/phone', 'opened', ''],
        ['gw-a', 'dora@localhost/phone', 'closed', 'moved'],
      ]);
      expect(changes(to)).toContainEqual(['gw-b', 'dora@localhost/phone', 'opened', 'moved']);
    } finally {
      await from.stop();
      await to.stop();
    }
  });

  it('publishes each at once with a window of 0', async () => {
    const gw = await TestGateway.start({ modules: [], env: { SESSION_EVENTS_WINDOW: '0s' } });
    try {
      await gw.login('cleo', 'r');
      await settle();
      expect(batches(gw).map((b) => b.changes.length)).toEqual([1]);
    } finally {
      await gw.stop();
    }
  });
});
