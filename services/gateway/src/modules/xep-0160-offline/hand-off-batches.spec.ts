import { EventEnvelope, MAX_STORE_HAND_OFFS, OfflineHandOffV2, OfflineStoreV2, OfflineSubjects } from '@parley/contracts';
import { HandOffBatches, handOffSize } from './hand-off-batches';

const turn = () => new Promise<void>((r) => setImmediate(r));

let n = 0;
const handOff = (over: Partial<OfflineHandOffV2> = {}): OfflineHandOffV2 => ({
  id: `h${++n}`,
  to: 'bob@localhost',
  from: 'alice@localhost/desk',
  type: 'chat',
  stanzaId: `m${n}`,
  noStore: false,
  arrivedAt: new Date(0).toISOString(),
  stanza: `<message to='bob@localhost' type='chat' id='m${n}'><body>hi ${n}</body></message>`,
  ...over,
});

/** A bus that records each publish and settles it when the test says. */
function recordingBus(maxPayload = 1024 * 1024) {
  const published: Array<{ e: EventEnvelope<OfflineStoreV2>; subject?: string; ack: () => void; fail: (e: Error) => void }> = [];
  return {
    published,
    maxPayload: () => maxPayload,
    publishEvent<T>(e: EventEnvelope<T>, subject?: string): Promise<void> {
      return new Promise<void>((ack, fail) => published.push({ e: e as unknown as EventEnvelope<OfflineStoreV2>, subject, ack, fail }));
    },
  };
}

describe('offline hand-off batches', () => {
  it('sends the hand-offs of one turn in one version 2 envelope, in order, and settles each with its ack', async () => {
    const bus = recordingBus();
    const batches = new HandOffBatches(bus);
    const hs = [handOff(), handOff({ to: 'carol@localhost' }), handOff()];
    let acked = 0;
    const ps = hs.map((h) => batches.add(h).then(() => void acked++));
    await turn();
    expect(bus.published).toHaveLength(1);
    const [{ e }] = bus.published;
    expect([e.type, e.version]).toEqual([OfflineSubjects.store, 2]);
    expect(e.data.handOffs).toEqual(hs);
    expect(new Set([e.id, ...hs.map((h) => h.id)]).size).toBe(4); // the batch has an id of its own
    expect(acked).toBe(0);
    bus.published[0].ack();
    await Promise.all(ps);
    expect(acked).toBe(3);
  });

  it('opens a new batch each turn, and rejects every hand-off of a batch whose publish failed', async () => {
    const bus = recordingBus();
    const batches = new HandOffBatches(bus);
    const first = batches.add(handOff());
    await turn();
    const second = [batches.add(handOff()), batches.add(handOff())];
    await turn();
    expect(bus.published.map((p) => p.e.data.handOffs.length)).toEqual([1, 2]);
    bus.published[1].fail(new Error('no stream'));
    bus.published[0].ack();
    await expect(first).resolves.toBeUndefined();
    for (const p of second) await expect(p).rejects.toThrow('no stream');
  });

  it(`closes a batch at ${MAX_STORE_HAND_OFFS} hand-offs and sends it at once, before the next`, async () => {
    const bus = recordingBus();
    const batches = new HandOffBatches(bus);
    const hs = Array.from({ length: MAX_STORE_HAND_OFFS + 3 }, () => handOff());
    for (const h of hs) void batches.add(h).catch(() => undefined);
    expect(bus.published.map((p) => p.e.data.handOffs.length)).toEqual([MAX_STORE_HAND_OFFS]);
    await turn();
    expect(bus.published.map((p) => p.e.data.handOffs.length)).toEqual([MAX_STORE_HAND_OFFS, 3]);
    expect(bus.published.flatMap((p) => p.e.data.handOffs)).toEqual(hs);
  });

  it("keeps every envelope within the server's max_payload, a large stanza going alone", async () => {
    const limit = 64 * 1024;
    const bus = recordingBus(limit);
    const batches = new HandOffBatches(bus);
    const big = 'é'.repeat(9000); // 3 bytes per unit at most once JSON-encoded
    const hs = [handOff(), handOff({ stanza: `<message><body>${big}</body></message>` }), handOff(), handOff({ stanza: `<message><body>${big}${big}</body></message>` }), handOff()];
    for (const h of hs) void batches.add(h).catch(() => undefined);
    await turn();
    for (const p of bus.published) expect(Buffer.byteLength(JSON.stringify(p.e))).toBeLessThanOrEqual(limit);
    expect(bus.published.flatMap((p) => p.e.data.handOffs)).toEqual(hs);
    expect(bus.published.length).toBeGreaterThan(1);
  });

  it('bounds the encoded size of a hand-off from above', () => {
    for (const stanza of ['<message/>', `<message><body>"quoted" \\ back\tslash\n${'ü€😀'.repeat(50)}</body></message>`]) {
      const h = handOff({ stanza });
      expect(handOffSize(h)).toBeGreaterThanOrEqual(Buffer.byteLength(JSON.stringify(h)));
    }
  });
});
