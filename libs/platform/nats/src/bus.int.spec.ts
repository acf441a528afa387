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
