// The offline store and fetch controllers through Nest's testing module, on the
// in-memory store: a hand-off is stored or refused, and fetched back in arrival order.
import { Test } from '@nestjs/testing';
import { envelope, EventEnvelope, OfflineDeliveryFailedV1, OfflineEvents, OfflineFetchResult, OfflineHandOffV2, OfflineNotices, OfflineStoreV1, OfflineStoreV2, OfflineSubjects } from '@parley/contracts';
import { Bus, TerminalError } from '@parley/nats';
import { LOGGER } from '@parley/runtime';
import { callWithPayloadPipes } from '@parley/testing-service';
import { loadOfflineConfig } from '../config/config';
import { InMemoryOfflineStore } from '../store/in-memory-offline-store';
import { OFFLINE_STORE } from '../store/offline-store';
import { FetchHandler } from './fetch.handler';
import { OFFLINE_CONFIG } from './params';
import { StoreHandler } from './store.handler';

const silent = { info() {}, warn() {}, error() {}, debug() {} };

describe('offline store and fetch controllers (in-memory store)', () => {
  let store: StoreHandler;
  let fetch: FetchHandler;
  let memory: InMemoryOfflineStore;
  let notices: Array<{ subject: string; data: unknown }>;

  beforeEach(async () => {
    memory = new InMemoryOfflineStore();
    notices = [];
    const module = await Test.createTestingModule({
      controllers: [StoreHandler, FetchHandler],
      providers: [
        { provide: OFFLINE_STORE, useValue: memory },
        { provide: OFFLINE_CONFIG, useValue: loadOfflineConfig({ OFFLINE_QUOTA: '2' }) },
        { provide: LOGGER, useValue: silent },
        // The bus as the store handler uses it: core notices are recorded.
        { provide: Bus, useValue: { publish: (subject: string, data: unknown) => void notices.push({ subject, data }) } },
      ],
    }).compile();
    store = module.get(StoreHandler);
    fetch = module.get(FetchHandler);
  });

  /** Hands one event over as a batch of one, as the consumer would; rejects with its outcome when it is not acked. */
  const storeOne = async (e: EventEnvelope<OfflineStoreV1>): Promise<void> => {
    const [outcome] = await store.handle({ events: [e] });
    if (outcome) throw outcome;
  };

  let n = 0;
  const handOff = (to: string, body: string, over: Partial<OfflineStoreV1> = {}) => {
    n++;
    return envelope<OfflineStoreV1>(OfflineSubjects.store, {
      to,
      from: 'bob@localhost/phone',
      type: 'chat',
      stanzaId: `m${n}`,
      noStore: false,
      arrivedAt: new Date(Date.UTC(2026, 0, 1, 12, 0, n)).toISOString(),
      stanza: `<message xmlns='jabber:client' from='bob@localhost/phone' to='${to}' type='chat' id='m${n}'><body>${body}</body></message>`,
      ...over,
    });
  };

  it('stores hand-offs for alicE under her prepared JID and fetches them in arrival order, delay-stamped', async () => {
    const first = handOff('alicE@localhost', 'one');
    const second = handOff('alice@localhost', 'two');
    await storeOne(second); // arrival order is the hand-off's arrivedAt, not the order of commits
    await storeOne(first);

    const { messages, next } = await callWithPayloadPipes<OfflineFetchResult>(fetch, 'handle', { user: 'ALICE@localhost', stampDelay: true });
    expect(messages.map((m) => m.id)).toEqual([first.id, second.id]);
    expect(next).toBeUndefined();
    expect(messages[0]).toMatchObject({ from: 'bob@localhost/phone', type: 'chat', stanzaId: expect.stringMatching(/^m\d+$/), delayStamped: true });
    expect(messages[0].stanza).toContain(`<delay xmlns='urn:xmpp:delay' from='localhost' stamp='${first.data.arrivedAt}'/>`);
    expect(memory.outbox).toEqual([]);
  });

  it('stores a redelivered hand-off once', async () => {
    const h = handOff('alice@localhost', 'once');
    await storeOne(h);
    await storeOne(h);
    expect((await fetch.handle({ user: 'alice@localhost' })).messages).toHaveLength(1);
    // One stored notice (core NATS) for the gateways: the redelivery is no news.
    expect(notices).toEqual([{ subject: OfflineNotices.stored, data: { u: 'alice@localhost', id: h.id } }]);
  });

  it('refuses a hand-off beyond OFFLINE_QUOTA and commits delivery-failed with the refusal, once (ids and reason, no content)', async () => {
    await storeOne(handOff('alice@localhost', 'one'));
    await storeOne(handOff('alice@localhost', 'two'));
    const third = handOff('alice@localhost', 'secret third');
    await storeOne(third);
    await storeOne(third); // a redelivery finds the recorded refusal
    expect((await fetch.handle({ user: 'alice@localhost' })).messages).toHaveLength(2);
    expect(memory.outbox.map((e) => [e.type, e.causationId])).toEqual([[OfflineEvents.deliveryFailed, third.id]]);
    const failed = memory.outbox[0].data as OfflineDeliveryFailedV1;
    expect(failed).toMatchObject({ from: 'bob@localhost/phone', to: 'alice@localhost', reason: 'quota', messageType: 'chat', stanzaId: third.data.stanzaId });
    expect(JSON.stringify(memory.outbox[0])).not.toContain('secret');
  });

  it('terminates a hand-off whose recipient is not an account JID', async () => {
    await expect(storeOne(handOff('localhost', 'x'))).rejects.toBeInstanceOf(TerminalError);
    await expect(storeOne(handOff('a@b@c', 'x'))).rejects.toBeInstanceOf(TerminalError);
  });

  it('decides a batch in one go: one outcome per event, an unusable one terminated alone, the others stored and their recipient announced once', async () => {
    const a = handOff('alice@localhost', 'a');
    const bad = handOff('localhost', 'no account');
    const b = handOff('alice@localhost', 'b');
    const outcomes = await store.handle({ events: [a, bad, b] });
    expect(outcomes[0]).toBeUndefined();
    expect(outcomes[1]).toBeInstanceOf(TerminalError);
    expect(outcomes[2]).toBeUndefined();
    expect((await fetch.handle({ user: 'alice@localhost' })).messages.map((m) => m.id)).toEqual([a.id, b.id]);
    expect(notices.map((x) => x.data)).toEqual([{ u: 'alice@localhost', id: b.id }]);
  });

  it('tries each hand-off of a batch on its own when the batch cannot commit: only the one that fails alone is retried', async () => {
    const a = handOff('alice@localhost', 'a');
    const b = handOff('carol@localhost', 'b');
    const acceptMany = memory.acceptMany.bind(memory);
    // The store refuses any transaction that holds b (as a row it can never commit would).
    memory.acceptMany = async (hs, o) => {
      if (hs.some((h) => h.id === b.id)) throw new Error('cannot commit');
      return acceptMany(hs, o);
    };
    const outcomes = await store.handle({ events: [a, b] });
    expect(outcomes[0]).toBeUndefined();
    expect(outcomes[1]).toBeInstanceOf(Error);
    expect(outcomes[1]).not.toBeInstanceOf(TerminalError);
    expect((await fetch.handle({ user: 'alice@localhost' })).messages.map((m) => m.id)).toEqual([a.id]);
  });

  /** Version 2: the hand-offs of one turn of a gateway in one envelope, each with its own id. */
  const many = (...hs: Array<EventEnvelope<OfflineStoreV1>>) =>
    envelope<OfflineStoreV2>(OfflineSubjects.store, { handOffs: hs.map((h): OfflineHandOffV2 => ({ ...h.data, id: h.id })) }, { version: 2 });
  const ids = async (user: string) => (await fetch.handle({ user })).messages.map((m) => m.id);

  it('stores every hand-off of a version 2 envelope in its order, each under its own id, and acks the envelope once', async () => {
    const a1 = handOff('alice@localhost', 'a1');
    const c1 = handOff('carol@localhost', 'c1');
    const a2 = handOff('alice@localhost', 'a2');
    const e = many(a1, c1, a2);
    expect(await store.handle({ events: [e] })).toEqual([undefined]);
    expect(await ids('alice@localhost')).toEqual([a1.id, a2.id]);
    expect(await ids('carol@localhost')).toEqual([c1.id]);
    // one notice per recipient of the batch, naming its last message
    expect(notices.map((x) => x.data)).toEqual([
      { u: 'alice@localhost', id: a2.id },
      { u: 'carol@localhost', id: c1.id },
    ]);
    // redelivered (the ack was lost): nothing twice, nothing announced again
    expect(await store.handle({ events: [e] })).toEqual([undefined]);
    expect(await ids('alice@localhost')).toEqual([a1.id, a2.id]);
    expect(notices).toHaveLength(2);
  });

  it('drops an unusable hand-off of a version 2 envelope and stores the rest; terminates an envelope with nothing usable', async () => {
    const a = handOff('alice@localhost', 'a');
    const bad = handOff('localhost', 'no account');
    expect(await store.handle({ events: [many(a, bad)] })).toEqual([undefined]);
    expect(await ids('alice@localhost')).toEqual([a.id]);
    const [outcome] = await store.handle({ events: [many(bad)] });
    expect(outcome).toBeInstanceOf(TerminalError);
    const [empty] = await store.handle({ events: [envelope(OfflineSubjects.store, { handOffs: [] }, { version: 2 })] });
    expect(empty).toBeInstanceOf(TerminalError);
  });

  it('refuses past the quota inside one version 2 envelope, in order, and announces the refusal', async () => {
    // quota 2 (see beforeEach)
    const hs = [1, 2, 3].map((i) => handOff('dave@localhost', `d${i}`));
    expect(await store.handle({ events: [many(...hs)] })).toEqual([undefined]);
    expect(await ids('dave@localhost')).toEqual([hs[0].id, hs[1].id]);
    const published = memory.outbox as Array<EventEnvelope<OfflineDeliveryFailedV1>>;
    expect(published.map((p) => [p.type, p.data.reason, p.data.stanzaId])).toEqual([[OfflineEvents.deliveryFailed, 'quota', hs[2].data.stanzaId]]);
  });

  it('retries only the version 2 envelope that cannot commit when a batch of them fails together', async () => {
    const a = handOff('alice@localhost', 'a');
    const b = handOff('carol@localhost', 'b');
    const c = handOff('carol@localhost', 'c');
    const acceptMany = memory.acceptMany.bind(memory);
    memory.acceptMany = async (hs, o) => {
      if (hs.some((h) => h.id === c.id)) throw new Error('cannot commit');
      return acceptMany(hs, o);
    };
    const outcomes = await store.handle({ events: [many(a), many(b, c)] });
    expect(outcomes[0]).toBeUndefined();
    expect(outcomes[1]).toBeInstanceOf(Error);
    expect(outcomes[1]).not.toBeInstanceOf(TerminalError);
    // all or nothing per envelope: b waits for its redelivery with c
    expect(await ids('alice@localhost')).toEqual([a.id]);
    expect(await ids('carol@localhost')).toEqual([]);
  });

  it('pages by limit with a cursor, and answers item-not-found for a view of an unknown id', async () => {
    const a = handOff('alice@localhost', 'a');
    const b = handOff('alice@localhost', 'b');
    await storeOne(a);
    await storeOne(b);
    const page1 = await fetch.handle({ user: 'alice@localhost', limit: 1 });
    expect(page1.messages.map((m) => m.id)).toEqual([a.id]);
    const page2 = await fetch.handle({ user: 'alice@localhost', limit: 1, after: page1.next });
    expect(page2.messages.map((m) => m.id)).toEqual([b.id]);
    expect(page2.next).toBeUndefined();
    await expect(fetch.handle({ user: 'alice@localhost', ids: [a.id, 'nope'] })).rejects.toMatchObject({ error: { condition: 'item-not-found' } });
  });

  it('refuses a request for a user that is not an account JID with jid-malformed', async () => {
    await expect(callWithPayloadPipes(fetch, 'handle', { user: 'localhost' })).rejects.toMatchObject({ error: { condition: 'jid-malformed' } });
  });
});
