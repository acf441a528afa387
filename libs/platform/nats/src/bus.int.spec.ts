import type { StreamSpec } from '@parley/contracts';
import { envelope } from '@parley/contracts';
import { testInfra, uniqueNamespace, waitFor } from '@parley/testing-stack';
import { Bus } from './bus';
import { BusReplyError, BusUnavailableError, ReplyException, TerminalError } from './errors';

/** Hooks start services and create databases: slow on a loaded machine, so they get longer than jest's 5 s. */
const HOOK_TIMEOUT = 60_000;

const EVENTS: StreamSpec = {
  name: 'TEST_EVENTS',
  subjects: ['test.evt.>'],
  retention: 'limits',
  maxAgeMs: 60_000,
  description: 'test',
};

describe('Bus against a real NATS server', () => {
  let bus: Bus;
  let other: Bus;

  beforeAll(async () => {
    const { natsUrl } = await testInfra();
    const namespace = uniqueNamespace();
    bus = await Bus.connect({ url: natsUrl, name: 'bus-spec', namespace });
    other = await Bus.connect({ url: natsUrl, name: 'bus-spec-2', namespace });
    await bus.ensureStreams([EVENTS]);
  }, HOOK_TIMEOUT);

  afterAll(async () => {
    await bus.deleteStreams([EVENTS]);
    await bus.close();
    await other.close();
  }, HOOK_TIMEOUT);

  it('creates streams with the configured replica count (NATS_STREAM_REPLICAS), which a single server cannot hold', async () => {
    const { natsUrl } = await testInfra();
    const namespace = uniqueNamespace();
    const replicated = await Bus.connect({ url: natsUrl, name: 'bus-spec-replicas', namespace, streamReplicas: 3 });
    try {
      // The test NATS is one server: three replicas are refused by JetStream itself, so the setting reached it.
      await expect(replicated.ensureStreams([EVENTS])).rejects.toThrow(/replica|cluster|resources/i);
      const single = await Bus.connect({ url: natsUrl, name: 'bus-spec-replicas-1', namespace, streamReplicas: 1 });
      try {
        await single.ensureStreams([EVENTS]);
        const jsm = await (single as unknown as { jsm(): Promise<import('nats').JetStreamManager> }).jsm();
        expect((await jsm.streams.info(single.streamName(EVENTS))).config.num_replicas).toBe(1);
        await single.deleteStreams([EVENTS]);
      } finally {
        await single.close();
      }
    } finally {
      await replicated.close();
    }
    await expect(Bus.connect({ url: natsUrl, name: 'bus-spec-bad', streamReplicas: 0 })).rejects.toThrow(/streamReplicas/);
  });

  it('answers a request with the responder value', async () => {
    const sub = other.serve<{ n: number }, { double: number }>('test.qry.double', (q) => ({ double: q.n * 2 }), { queue: 'q' });
    await other.flush();
    await expect(bus.request('test.qry.double', { n: 21 })).resolves.toEqual({ double: 42 });
    sub.unsubscribe();
  });

  it('turns a ReplyException into a BusReplyError with the condition', async () => {
    const sub = other.serve('test.qry.fail', () => {
      throw ReplyException.of('item-not-found', 'no such thing');
    }, { queue: 'q' });
    await other.flush();
    await expect(bus.request('test.qry.fail', {})).rejects.toMatchObject({
      name: 'BusReplyError',
      error: { condition: 'item-not-found', text: 'no such thing' },
    });
    sub.unsubscribe();
  });

  it('answers internal-server-error when a handler crashes', async () => {
    const sub = other.serve('test.qry.crash', () => {
      throw new Error('boom');
    }, { queue: 'q' });
    await other.flush();
    const err: any = await bus.request('test.qry.crash', {}).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(BusReplyError);
    expect(err.error.condition).toBe('internal-server-error');
    sub.unsubscribe();
  });

  it('fails fast when nobody serves a subject', async () => {
    const started = Date.now();
    const err: any = await bus.request('test.qry.nobody', {}, { timeoutMs: 10_000 }).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(BusUnavailableError);
    expect(err.reason).toBe('no-responders');
    expect(Date.now() - started).toBeLessThan(5_000);
  });

  it('keeps namespaces apart', async () => {
    const { natsUrl } = await testInfra();
    const stranger = await Bus.connect({ url: natsUrl, name: 'stranger', namespace: uniqueNamespace() });
    const sub = stranger.serve('test.qry.ns', () => 'wrong namespace', { queue: 'q' });
    await stranger.flush();
    await expect(bus.request('test.qry.ns', {})).rejects.toBeInstanceOf(BusUnavailableError);
    sub.unsubscribe();
    await stranger.close();
  });

  it('delivers events durably, once per id, acking after the handler', async () => {
    const seen: string[] = [];
    const e1 = envelope('test.evt.thing', { n: 1 });
    await bus.publishEvent(e1);
    await bus.publishEvent(e1); // duplicate id: dropped by JetStream
    await bus.publishEvent(envelope('test.evt.thing', { n: 2 }));
    const c = await other.consume<{ n: number }>({
      stream: EVENTS,
      durable: 'spec-durable',
      filterSubjects: ['test.evt.thing'],
      handler: async (e) => {
        seen.push(`${e.data.n}`);
      },
    });
    await waitFor(() => seen.length >= 2, { what: 'two events' });
    await c.stop();
    expect(seen).toEqual(['1', '2']);
  });

  it('coalesces publishes issued in one turn of the event loop, in order, each acked and de-duplicated', async () => {
    const events = Array.from({ length: 40 }, (_, n) => envelope('test.evt.coalesced', { n }));
    // as a stream handler issues them: one per stanza, awaiting in between
    const acks: Array<Promise<void>> = [];
    for (const e of events) {
      acks.push(bus.publishEvent(e, undefined, { coalesce: true }));
      await Promise.resolve();
    }
    acks.push(bus.publishEvent(events[3], undefined, { coalesce: true })); // a repeat: dropped by JetStream
    await Promise.all(acks);
    const seen: number[] = [];
    const c = await other.consume<{ n: number }>({ stream: EVENTS, durable: 'spec-coalesced', filterSubjects: ['test.evt.coalesced'], handler: async (e) => void seen.push(e.data.n) });
    await waitFor(() => seen.length >= 40, { what: 'forty events' });
    await c.stop();
    expect(seen).toEqual(events.map((e) => e.data.n));
  });

  it('retries a failing handler and terminates on TerminalError', async () => {
    let attempts = 0;
    const terminal: number[] = [];
    await bus.publishEvent(envelope('test.evt.flaky', { n: 1 }));
    await bus.publishEvent(envelope('test.evt.flaky', { n: 2 }));
    const c = await other.consume<{ n: number }>({
      stream: EVENTS,
      durable: 'spec-flaky',
      filterSubjects: ['test.evt.flaky'],
      handler: async (e) => {
        if (e.data.n === 2) {
          terminal.push(2);
          throw new TerminalError('never');
        }
        attempts += 1;
        if (attempts < 2) throw new Error('transient');
      },
    });
    await waitFor(() => attempts >= 2 && terminal.length === 1, { what: 'retry then terminal' });
    await c.stop();
    expect(terminal).toEqual([2]);
  });

  it('hands events over in batches, in stream order per lane key, settling each by its own outcome', async () => {
    // Published before the consumer starts: the first read delivers many at once.
    for (let n = 0; n < 30; n++) await bus.publishEvent(envelope('test.evt.batched', { n, key: `k${n % 3}` }));
    const batches: number[][] = [];
    let running = 0;
    let mostAtOnce = 0;
    const attempts = new Map<number, number>();
    const c = await other.consumeBatches<{ n: number; key: string }>({
      stream: EVENTS,
      durable: 'spec-batched',
      filterSubjects: ['test.evt.batched'],
      maxBatch: 4,
      lanes: 2,
      laneKey: (e) => e.data.key,
      handler: async (events) => {
        running += 1;
        mostAtOnce = Math.max(mostAtOnce, running);
        batches.push(events.map((e) => e.data.n));
        await new Promise((r) => setTimeout(r, 5));
        running -= 1;
        return events.map((e) => {
          const n = e.data.n;
          attempts.set(n, (attempts.get(n) ?? 0) + 1);
          if (n === 7) return new TerminalError('never');
          if (n === 11 && attempts.get(n) === 1) return new Error('transient');
          return undefined;
        });
      },
    });
    await waitFor(() => (attempts.get(11) ?? 0) >= 2 && new Set(batches.flat()).size === 30, { what: 'every event, 11 twice', timeoutMs: 20_000 });
    await c.stop();
    expect(Math.max(...batches.map((b) => b.length))).toBeLessThanOrEqual(4);
    expect(batches.some((b) => b.length > 1)).toBe(true);
    expect(mostAtOnce).toBeLessThanOrEqual(2);
    // Each key's events arrive in stream order (the redelivered 11 comes again at the end).
    for (const k of [0, 1, 2]) {
      const order = batches.flat().filter((n) => n % 3 === k);
      const firstTime = order.filter((n, i) => order.indexOf(n) === i);
      expect(firstTime).toEqual([...firstTime].sort((a, b) => a - b));
    }
    expect(attempts.get(7)).toBe(1); // terminated: never again
    expect(attempts.get(11)).toBe(2); // redelivered once
    expect((await bus.consumerBacklog(EVENTS, 'spec-batched'))).toEqual({ pending: 0, ackPending: 0 });
  });

  it('redelivers a whole batch when its handler throws', async () => {
    await bus.publishEvent(envelope('test.evt.batch-fail', { n: 1 }));
    await bus.publishEvent(envelope('test.evt.batch-fail', { n: 2 }));
    let calls = 0;
    const done = new Set<number>();
    const c = await other.consumeBatches<{ n: number }>({
      stream: EVENTS,
      durable: 'spec-batch-fail',
      filterSubjects: ['test.evt.batch-fail'],
      maxBatch: 10,
      handler: async (events) => {
        calls += 1;
        if (calls === 1) throw new Error('database away');
        for (const e of events) done.add(e.data.n);
        return events.map(() => undefined);
      },
    });
    await waitFor(() => done.size === 2, { what: 'both after the failed batch', timeoutMs: 20_000 });
    await c.stop();
    expect(calls).toBeGreaterThanOrEqual(2);
  });

  it('keeps a KV bucket in the namespace with compare-and-set writes and a TTL (a lease)', async () => {
    const enc = (v: string) => new TextEncoder().encode(v);
    const kv = await bus.kv('spec-lease', { ttlMs: 1000 });
    const theirs = await other.kv('spec-lease', { ttlMs: 1000 });
    try {
      const rev = await kv.create('k', enc('a'));
      expect(rev).toBeDefined();
      expect(await theirs.create('k', enc('b'))).toBeUndefined(); // taken
      const seen = await theirs.get('k');
      expect(new TextDecoder().decode(seen!.value)).toBe('a');
      const rev2 = await kv.update('k', enc('a2'), rev!);
      expect(rev2).toBeGreaterThan(rev!);
      expect(await theirs.update('k', enc('b'), rev!)).toBeUndefined(); // a stale revision loses
      // Nobody renews: the entry expires and the other side can take it.
      await waitFor(async () => (await theirs.get('k')) === undefined, { what: 'the entry to expire', timeoutMs: 20_000, intervalMs: 200 });
      expect(await theirs.create('k', enc('b'))).toBeDefined();
    } finally {
      await kv.destroy();
    }
  }, 30_000);
});
