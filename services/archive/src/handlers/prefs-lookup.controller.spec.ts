// The archive's prefs and lookup controllers through Nest's testing module, on the
// in-memory store: XEP-0441 preferences (off until opt-in) and XEP-0313 queries with RSM paging.
import { Test } from '@nestjs/testing';
import { ArchiveEvents } from '@parley/contracts';
import { LOGGER } from '@parley/runtime';
import { callWithPayloadPipes } from '@parley/testing-service';
import { loadArchiveConfig } from '../config/config';
import { ARCHIVE_STORE } from '../store/archive-store';
import { InMemoryArchiveStore } from '../store/in-memory-archive-store';
import { ARCHIVE_CONFIG } from '../tokens';
import { LookupHandler } from './lookup.handler';
import { PrefsHandler } from './prefs.handler';

const silent = { info() {}, warn() {}, error() {}, debug() {} };

describe('archive prefs and lookup controllers (in-memory store)', () => {
  let store: InMemoryArchiveStore;
  let prefs: PrefsHandler;
  let lookup: LookupHandler;

  beforeEach(async () => {
    store = new InMemoryArchiveStore();
    const module = await Test.createTestingModule({
      controllers: [PrefsHandler, LookupHandler],
      providers: [
        { provide: ARCHIVE_STORE, useValue: store },
        { provide: ARCHIVE_CONFIG, useValue: loadArchiveConfig({ ARCHIVE_PAGE_DEFAULT: '2', ARCHIVE_PAGE_MAX: '3' }) },
        { provide: LOGGER, useValue: silent },
      ],
    }).compile();
    prefs = module.get(PrefsHandler);
    lookup = module.get(LookupHandler);
  });

  it('answers preferences never set as off (default never, empty lists)', async () => {
    await expect(callWithPayloadPipes(prefs, 'get', { jid: 'alicE@localhost' })).resolves.toEqual({ default: 'never', always: [], never: [] });
  });

  it('stores preferences under the prepared owner JID and queues prefs-changed on her subject with the change', async () => {
    const set = await callWithPayloadPipes(prefs, 'set', { jid: 'ＡlicE@LOCALHOST', default: 'roster', always: ['Bob@Localhost'], never: [] });
    expect(set).toEqual({ default: 'roster', always: ['bob@localhost'], never: [] });
    await expect(callWithPayloadPipes(prefs, 'get', { jid: 'alice@localhost' })).resolves.toEqual(set);
    expect(store.outbox.map((p) => p.subject)).toEqual([ArchiveEvents.prefsChangedFor('alice@localhost')]);
    expect(store.outbox[0].event.data).toMatchObject({ jid: 'alice@localhost', default: 'roster', optedIn: true, version: 1 });
  });

  it('refuses preferences for something that is not an account JID with jid-malformed', async () => {
    await expect(callWithPayloadPipes(prefs, 'get', { jid: 'localhost' })).rejects.toMatchObject({ error: { condition: 'jid-malformed' } });
    await expect(callWithPayloadPipes(prefs, 'get', { jid: 'al ice@@localhost' })).rejects.toMatchObject({ error: { condition: 'jid-malformed' } });
  });

  describe('lookup', () => {
    const ids = ['s1', 's2', 's3', 's4', 's5'];
    beforeEach(async () => {
      for (const [i, id] of ids.entries())
        await store.storeIfAllowed('alice@localhost', () => ({
          store: true,
          record: {
            owner: 'alice@localhost',
            stanzaId: id,
            ts: new Date(Date.UTC(2026, 0, 1, 12, 0, i)),
            withBare: i % 2 ? 'carol@localhost' : 'bob@localhost',
            withFull: i % 2 ? 'carol@localhost/x' : 'bob@localhost/y',
            direction: 'in',
            stanza: `<message id='${id}'/>`,
          },
        }));
    });

    it('pages forward by the configured default with RSM first, last, count and index', async () => {
      const page1 = await lookup.handle({ owner: 'alice@localhost' });
      expect(page1).toMatchObject({ first: 's1', last: 's2', complete: false, count: 5, firstIndex: 0 });
      const page2 = await lookup.handle({ owner: 'alice@localhost', rsm: { after: page1.last } });
      expect(page2.items.map((i) => i.id)).toEqual(['s3', 's4']);
      expect(page2.firstIndex).toBe(2);
      const page3 = await lookup.handle({ owner: 'alice@localhost', rsm: { after: page2.last } });
      expect(page3).toMatchObject({ first: 's5', last: 's5', complete: true });
    });

    it('pages backward from the end, filters by peer, and caps max at ARCHIVE_PAGE_MAX', async () => {
      const last = await lookup.handle({ owner: 'alice@localhost', rsm: { before: '' } });
      expect(last.items.map((i) => i.id)).toEqual(['s4', 's5']);
      const bob = await lookup.handle({ owner: 'alice@localhost', with: 'bob@localhost', rsm: { max: 10 } });
      expect(bob.items.map((i) => [i.id, i.with])).toEqual([
        ['s1', 'bob@localhost'],
        ['s3', 'bob@localhost'],
        ['s5', 'bob@localhost'],
      ]);
      expect((await lookup.handle({ owner: 'alice@localhost', rsm: { max: 100 } })).items).toHaveLength(3);
    });

    it('answers item-not-found for an RSM id not in the archive, and finds nothing in another owner\'s', async () => {
      await expect(lookup.handle({ owner: 'alice@localhost', rsm: { after: 'nope' } })).rejects.toMatchObject({ condition: 'item-not-found' });
      await expect(lookup.handle({ owner: 'bob@localhost' })).resolves.toMatchObject({ items: [], complete: true, count: 0 });
    });
  });
});
