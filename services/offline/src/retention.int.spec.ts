// Retention on offline.cmd.sweep (the janitor drives it; the service has no timer of
// its own), with a short retention setting, and the expiry of de-duplication markers.
import { GatewayEvents, OfflineCountResult, OfflineEvents, OfflineSubjects, OfflineSweepResult, envelope } from '@parley/contracts';
import { waitFor } from '@parley/testing-stack';
import { Harness, handOff, startHarness } from './testing/harness';

/** Hooks start services and create databases: slow on a loaded machine, so they get longer than jest's 5 s. */
const HOOK_TIMEOUT = 60_000;

describe('offline retention', () => {
  let h: Harness;

  beforeAll(async () => {
    h = await startHarness({ OFFLINE_RETENTION: '2s' });
  }, HOOK_TIMEOUT);
  afterAll(async () => {
    await h?.close();
  }, HOOK_TIMEOUT);

  const count = async (user: string) => (await h.bus.request<OfflineCountResult>(OfflineSubjects.count, { user })).count;

  it('deletes messages past a short retention on offline.cmd.sweep and publishes swept', async () => {
    const user = 'alice@localhost';
    await handOff(h.bus, { from: 'bOb@localhost/phone', to: user, body: 'expiring', arrivedAt: new Date(Date.now() - 60_000) });
    const keptAt = new Date(Date.now() + 3600_000);
    await handOff(h.bus, { from: 'bOb@localhost/phone', to: 'carl@localhost', body: 'kept', arrivedAt: keptAt });
    await waitFor(async () => (await count(user)) === 1 && (await count('carl@localhost')) === 1, { what: 'the messages stored' });
    const reply = await h.bus.request<OfflineSweepResult>(OfflineSubjects.sweep, {});
    expect(reply.messagesDeleted).toBe(1);
    // The report's "oldest remaining": the message left behind.
    expect(reply.oldestRemaining).toBe(keptAt.toISOString());
    const swept = await waitFor(() => h.events.find((e) => e.type === OfflineEvents.swept && e.data.trigger === 'command' && e.data.messagesDeleted >= 1), {
      what: 'the swept event of that sweep',
    });
    expect(swept.data).toMatchObject({ retentionMs: 2000 });
    expect(await count(user)).toBe(0);
    expect(h.events.some((e) => e.type === OfflineEvents.deliveryFailed)).toBe(false);
  });

  it('forgets hand-off receipts and erased-account markers after the de-duplication window', async () => {
    await h.bus.publishEvent(envelope(GatewayEvents.accountDeleted, { jid: 'gone@localhost', reason: 'inactivity' }));
    await waitFor(async () => (await h.sql('SELECT count(*)::int AS n FROM erased_account'))[0].n === 1, { what: 'marker' });
    expect((await h.sql('SELECT count(*)::int AS n FROM hand_off_receipt'))[0].n).toBeGreaterThanOrEqual(1);
    await h.sql(`UPDATE hand_off_receipt SET decided_at = now() - interval '5 days'`);
    await h.sql(`UPDATE erased_account SET erased_at = now() - interval '5 days'`);
    await h.bus.request<OfflineSweepResult>(OfflineSubjects.sweep, {});
    await waitFor(() => h.events.filter((e) => e.type === OfflineEvents.swept).reduce((n, e) => n + e.data.markersDeleted, 0) >= 2, { what: 'swept events counting the markers' });
    expect(await h.sql('SELECT * FROM hand_off_receipt')).toEqual([]);
    expect(await h.sql('SELECT * FROM erased_account')).toEqual([]);
  });
});
