// Nothing is lost while the offline service is down: the hand-off waits in the
// OFFLINE_INBOX work queue and is stored when a new instance comes up on the same database.
import { OFFLINE_INBOX, OfflineCountResult, OfflineFetchResult, OfflineSubjects } from '@parley/contracts';
import { BusUnavailableError } from '@parley/nats';
import { waitFor } from '@parley/testing-stack';
import { Harness, handOff, startHarness } from './testing/harness';

/** Hooks start services and create databases: slow on a loaded machine, so they get longer than jest's 5 s. */
const HOOK_TIMEOUT = 60_000;

describe('offline service stopped while a message is sent', () => {
  let h: Harness;

  beforeAll(async () => {
    h = await startHarness();
  }, HOOK_TIMEOUT);
  afterAll(async () => {
    await h?.close();
  }, HOOK_TIMEOUT);

  it('stores the message once it comes back, and the content then leaves NATS', async () => {
    const user = 'alice@localhost';
    const before = await handOff(h.bus, { from: 'bOb@localhost/phone', to: 'alicE@localhost', body: 'before the outage' });
    await waitFor(async () => (await h.bus.request<OfflineCountResult>(OfflineSubjects.count, { user })).count === 1, { what: 'first stored' });

    await h.stopApp();
    await expect(h.bus.request(OfflineSubjects.count, { user })).rejects.toBeInstanceOf(BusUnavailableError);
    const during = await handOff(h.bus, { from: 'bOb@localhost/phone', to: 'alicE@localhost', body: 'during the outage', stanzaId: 'o1' });
    await waitFor(async () => (await h.bus.streamState(OFFLINE_INBOX)).messages === 1, { what: 'the hand-off waiting in the work queue' });

    await h.startApp();
    await waitFor(async () => (await h.bus.request<OfflineCountResult>(OfflineSubjects.count, { user })).count === 2, { what: 'stored after restart' });
    const { messages } = await h.bus.request<OfflineFetchResult>(OfflineSubjects.fetch, { user });
    expect(messages.map((m) => m.id)).toEqual([before, during]);
    expect(messages[1]).toMatchObject({ stanzaId: 'o1' });
    await waitFor(async () => (await h.bus.streamState(OFFLINE_INBOX)).messages === 0, { what: 'work queue emptied' });
  });
});
