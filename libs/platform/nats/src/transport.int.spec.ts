// The Nest bus transport against a real NATS server, through a small microservice app
// with test controllers: request/reply on the wire format the gateway reads, and the
// JetStream consumer semantics (ack after success, nak and redelivery, term of poison,
// per-key ordering, bounded concurrency). Handlers are held on gates the test opens,
// so every step waits for a condition, never for time.
import { Controller, INestMicroservice, Module } from '@nestjs/common';
import { NestFactory } from '@nestjs/core';
import { Ctx, EventPattern, MessagePattern, Payload } from '@nestjs/microservices';
import { DomainError, envelope, EventEnvelope, StreamSpec } from '@parley/contracts';
import { testInfra, uniqueNamespace, waitFor } from '@parley/testing-stack';
import { connect, NatsConnection } from 'nats';
import { Bus } from './bus';
import { BusExceptionFilter, ObjectPayloadPipe } from './enhancers';
import { BusUnavailableError, ReplyException } from './errors';
import { BusContext, BusEventOptions, BusTransport } from './transport';

const STREAM: StreamSpec = { name: 'TRANSPORT_SPEC', subjects: ['spec.evt.>'], retention: 'limits', maxAgeMs: 5 * 60_000, description: 'transport spec' };
const QUEUE = 'transport-spec';
const ORDERED_CONCURRENCY = 4;
const BOUNDED_CONCURRENCY = 2;

/** A promise the test resolves by hand. */
class Gate {
  open!: () => void;
  readonly opened = new Promise<void>((resolve) => (this.open = resolve));
}

/** What the event controllers saw, and the gates that hold them. */
class Probe {
  readonly deliveries: Array<{ subject: string; id: string; redelivery: number }> = [];
  readonly started: string[] = [];
  readonly finished: string[] = [];
  readonly gates = new Map<string, Gate>();
  /** Handlers in flight now, per durable, and the most ever seen at once. */
  readonly inFlight = new Map<string, number>();
  readonly maxInFlight = new Map<string, number>();
  /** Per ordering key, whether a handler of that key is running, and whether two ever overlapped. */
  readonly keyBusy = new Set<string>();
  readonly keyOverlaps: string[] = [];

  gate(id: string): Gate {
    let g = this.gates.get(id);
    if (!g) this.gates.set(id, (g = new Gate()));
    return g;
  }

  async hold(durable: string, id: string, key?: string): Promise<void> {
    if (key !== undefined) {
      if (this.keyBusy.has(key)) this.keyOverlaps.push(id);
      this.keyBusy.add(key);
    }
    const n = (this.inFlight.get(durable) ?? 0) + 1;
    this.inFlight.set(durable, n);
    this.maxInFlight.set(durable, Math.max(this.maxInFlight.get(durable) ?? 0, n));
    this.started.push(id);
    try {
      await this.gate(id).opened;
    } finally {
      this.inFlight.set(durable, (this.inFlight.get(durable) ?? 1) - 1);
      if (key !== undefined) this.keyBusy.delete(key);
      this.finished.push(id);
    }
  }
}

const probe = new Probe();

interface Item {
  key?: string;
  /** Fail this many deliveries before succeeding. */
  failTimes?: number;
  /** Reject the input as unusable (a `bad-request` domain error: terminated). */
  unusable?: boolean;
}

@Controller()
class RequestsController {
  @MessagePattern('spec.qry.echo')
  echo(@Payload() q: { text: string }, @Ctx() ctx: BusContext): { text: string; subject: string } {
    return { text: q.text, subject: ctx.getSubject() };
  }

  @MessagePattern('spec.qry.refuse')
  refuse(): never {
    throw ReplyException.of('item-not-found', 'no such thing', 'cancel');
  }

  @MessagePattern('spec.qry.domain')
  domain(): never {
    throw new DomainError('not-allowed', 'the domain says no', 'auth');
  }

  @MessagePattern('spec.qry.crash')
  crash(): never {
    throw new Error('secret internal detail');
  }

  @MessagePattern('spec.qry.nothing')
  nothing(): void {
    return undefined;
  }
}

@Controller()
class EventsController {
  @EventPattern('spec.evt.plain', { stream: STREAM, durable: 'spec-plain' } satisfies BusEventOptions)
  async plain(@Payload() e: EventEnvelope<Item>, @Ctx() ctx: BusContext): Promise<void> {
    const redelivery = ctx.getRedeliveryCount();
    probe.deliveries.push({ subject: ctx.getSubject(), id: e.id, redelivery });
    if (e.data.unusable) throw new DomainError('bad-request', 'unusable input');
    if (redelivery < (e.data.failTimes ?? 0)) throw new Error('transient failure');
    await probe.hold('spec-plain', e.id);
  }

  @EventPattern('spec.evt.ordered', {
    stream: STREAM,
    durable: 'spec-ordered',
    concurrency: ORDERED_CONCURRENCY,
    orderingKey: (e) => (e.data as Item).key,
  } satisfies BusEventOptions)
  async ordered(@Payload() e: EventEnvelope<Item>): Promise<void> {
    await probe.hold('spec-ordered', e.id, e.data.key);
  }

  @EventPattern('spec.evt.bounded', { stream: STREAM, durable: 'spec-bounded', concurrency: BOUNDED_CONCURRENCY } satisfies BusEventOptions)
  async bounded(@Payload() e: EventEnvelope<Item>): Promise<void> {
    await probe.hold('spec-bounded', e.id);
  }
}

@Module({ controllers: [RequestsController, EventsController] })
class SpecModule {}

describe('BusTransport: controllers on a real NATS server', () => {
  let namespace: string;
  let serviceBus: Bus;
  let client: Bus;
  let raw: NatsConnection;
  let app: INestMicroservice;

  beforeAll(async () => {
    const { natsUrl } = await testInfra();
    namespace = uniqueNamespace();
    serviceBus = await Bus.connect({ url: natsUrl, name: 'transport-spec-service', namespace });
    client = await Bus.connect({ url: natsUrl, name: 'transport-spec-client', namespace });
    raw = await connect({ servers: natsUrl, name: 'transport-spec-raw' });
    app = await NestFactory.createMicroservice(SpecModule, { strategy: new BusTransport(serviceBus, { queue: QUEUE, streams: [STREAM] }), logger: false });
    app.useGlobalFilters(new BusExceptionFilter());
    app.useGlobalPipes(new ObjectPayloadPipe());
    await app.listen();
  }, 30_000);

  afterAll(async () => {
    await app?.close();
    await client?.deleteStreams([STREAM]);
    await client?.close();
    await serviceBus?.close();
    await raw?.close();
  });

  /** Sends `payload` bytes on the namespaced subject and returns the decoded raw answer. */
  async function rawRequest(subject: string, payload: string, ns = namespace): Promise<unknown> {
    const m = await raw.request(`${ns}.${subject}`, new TextEncoder().encode(payload), { timeout: 5_000 });
    return JSON.parse(new TextDecoder().decode(m.data));
  }

  describe('@MessagePattern: request/reply', () => {
    it('answers on the namespaced subject with the Reply<T> wire format the gateway reads', async () => {
      await expect(rawRequest('spec.qry.echo', JSON.stringify({ text: 'hi' }))).resolves.toEqual({ ok: true, data: { text: 'hi', subject: 'spec.qry.echo' } });
    });

    it('answers through the bus client as a typed value', async () => {
      await expect(client.request('spec.qry.echo', { text: 'typed' })).resolves.toEqual({ text: 'typed', subject: 'spec.qry.echo' });
    });

    it('answers a handler that returns nothing with ok and no data', async () => {
      await expect(rawRequest('spec.qry.nothing', '{}')).resolves.toEqual({ ok: true });
    });

    it('is not reachable outside its namespace', async () => {
      const { natsUrl } = await testInfra();
      const stranger = await Bus.connect({ url: natsUrl, name: 'transport-spec-stranger', namespace: uniqueNamespace() });
      try {
        await expect(stranger.request('spec.qry.echo', { text: 'x' })).rejects.toBeInstanceOf(BusUnavailableError);
        await expect(raw.request('spec.qry.echo', new TextEncoder().encode('{"text":"x"}'), { timeout: 5_000 })).rejects.toMatchObject({ code: '503' });
      } finally {
        await stranger.close();
      }
    });

    it('answers a ReplyException with its condition, type and text', async () => {
      await expect(rawRequest('spec.qry.refuse', '{}')).resolves.toEqual({ ok: false, error: { condition: 'item-not-found', type: 'cancel', text: 'no such thing' } });
    });

    it('answers a DomainError through the one exception filter', async () => {
      await expect(rawRequest('spec.qry.domain', '{}')).resolves.toEqual({ ok: false, error: { condition: 'not-allowed', type: 'auth', text: 'the domain says no' } });
    });

    it('answers an unexpected failure internal-server-error without its message', async () => {
      const reply = await rawRequest('spec.qry.crash', '{}');
      expect(reply).toEqual({ ok: false, error: { condition: 'internal-server-error' } });
      expect(JSON.stringify(reply)).not.toContain('secret');
    });

    it('answers bad-request to a payload that is not JSON or not an object', async () => {
      await expect(rawRequest('spec.qry.echo', 'not json')).resolves.toMatchObject({ ok: false, error: { condition: 'bad-request' } });
      await expect(rawRequest('spec.qry.echo', '[1,2]')).resolves.toMatchObject({ ok: false, error: { condition: 'bad-request' } });
    });
  });

  describe('@EventPattern: durable JetStream consumers', () => {
    const backlog = (durable: string) => client.consumerBacklog(STREAM, durable);

    it('acks an event only after its handler succeeded', async () => {
      const e = envelope<Item>('spec.evt.plain', {});
      await client.publishEvent(e);
      await waitFor(() => probe.started.includes(e.id), { what: 'the handler to start' });
      // The handler is running: the message is delivered, not acked.
      expect(await backlog('spec-plain')).toEqual({ pending: 0, ackPending: 1 });
      probe.gate(e.id).open();
      await waitFor(async () => (await backlog('spec-plain')).ackPending === 0, { what: 'the ack' });
      expect(probe.deliveries.filter((d) => d.id === e.id)).toEqual([{ subject: 'spec.evt.plain', id: e.id, redelivery: 0 }]);
    });

    it('naks a failed event and handles its redelivery', async () => {
      const e = envelope<Item>('spec.evt.plain', { failTimes: 2 });
      probe.gate(e.id).open();
      await client.publishEvent(e);
      await waitFor(() => probe.finished.includes(e.id), { what: 'the third delivery to succeed' });
      expect(probe.deliveries.filter((d) => d.id === e.id).map((d) => d.redelivery)).toEqual([0, 1, 2]);
      await waitFor(async () => (await backlog('spec-plain')).ackPending === 0, { what: 'the ack' });
    });

    it('terminates poison input (not JSON, not an envelope, or rejected as unusable) without retrying it', async () => {
      const terminated: number[] = [];
      const advisories = raw.subscribe(`$JS.EVENT.ADVISORY.CONSUMER.MSG_TERMINATED.${serviceBus.streamName(STREAM)}.spec-plain`, {
        callback: (_err, m) => terminated.push((JSON.parse(new TextDecoder().decode(m.data)) as { stream_seq: number }).stream_seq),
      });
      await raw.flush();
      await client.publishEventRaw('spec.evt.plain', new TextEncoder().encode('not json'));
      const notJson = (await client.streamState(STREAM)).lastSeq;
      await client.publishEventRaw('spec.evt.plain', new TextEncoder().encode(JSON.stringify({ no: 'envelope' })));
      const notEnvelope = (await client.streamState(STREAM)).lastSeq;
      const unusable = envelope<Item>('spec.evt.plain', { unusable: true });
      await client.publishEvent(unusable);
      const unusableSeq = (await client.streamState(STREAM)).lastSeq;

      await waitFor(() => terminated.length === 3, { what: 'three termination advisories' });
      advisories.unsubscribe();
      expect(terminated.sort((a, b) => a - b)).toEqual([notJson, notEnvelope, unusableSeq]);
      // The unusable envelope reached its handler exactly once; the undecodable ones never did.
      expect(probe.deliveries.filter((d) => d.id === unusable.id)).toHaveLength(1);
      expect(await backlog('spec-plain')).toEqual({ pending: 0, ackPending: 0 });
    });

    it('runs events of one ordering key one at a time in stream order, other keys alongside', async () => {
      const a1 = envelope<Item>('spec.evt.ordered', { key: 'alice' });
      const a2 = envelope<Item>('spec.evt.ordered', { key: 'alice' });
      const a3 = envelope<Item>('spec.evt.ordered', { key: 'alice' });
      const b1 = envelope<Item>('spec.evt.ordered', { key: 'bob' });
      for (const e of [a1, a2, a3, b1]) await client.publishEvent(e);

      // All four are delivered to the transport; alice's first and bob's run at once, alice's others wait.
      await waitFor(async () => (await backlog('spec-ordered')).ackPending === 4, { what: 'all four delivered' });
      await waitFor(() => probe.started.includes(a1.id) && probe.started.includes(b1.id), { what: 'a1 and b1 running together' });
      expect(probe.started).not.toContain(a2.id);
      expect(probe.started).not.toContain(a3.id);

      probe.gate(a1.id).open();
      await waitFor(() => probe.started.includes(a2.id), { what: 'a2 after a1' });
      expect(probe.started).not.toContain(a3.id);
      probe.gate(a2.id).open();
      await waitFor(() => probe.started.includes(a3.id), { what: 'a3 after a2' });
      probe.gate(a3.id).open();
      probe.gate(b1.id).open();

      await waitFor(async () => (await backlog('spec-ordered')).ackPending === 0, { what: 'every ack' });
      const aliceOrder = probe.started.filter((id) => [a1.id, a2.id, a3.id].includes(id));
      expect(aliceOrder).toEqual([a1.id, a2.id, a3.id]);
      expect(probe.keyOverlaps).toEqual([]);
      expect(probe.maxInFlight.get('spec-ordered')).toBe(2);
    });

    it(`never runs more than its concurrency (${BOUNDED_CONCURRENCY}) handlers at once`, async () => {
      const events = Array.from({ length: 6 }, () => envelope<Item>('spec.evt.bounded', {}));
      for (const e of events) await client.publishEvent(e);

      await waitFor(async () => (await backlog('spec-bounded')).ackPending === events.length, { what: 'all six delivered' });
      await waitFor(() => probe.started.filter((id) => events.some((e) => e.id === id)).length === BOUNDED_CONCURRENCY, { what: 'two handlers running' });
      // Six are delivered and unacked, two run, four wait; then each release lets exactly one more in.
      for (let done = 0; done < events.length; done++) {
        const running = events.filter((e) => probe.started.includes(e.id) && !probe.finished.includes(e.id));
        expect(running.length).toBeLessThanOrEqual(BOUNDED_CONCURRENCY);
        probe.gate(running[0].id).open();
        const expected = Math.min(events.length, BOUNDED_CONCURRENCY + done + 1);
        await waitFor(() => events.filter((e) => probe.started.includes(e.id)).length === expected && probe.finished.includes(running[0].id), {
          what: `${expected} handlers started`,
        });
      }
      await waitFor(async () => (await backlog('spec-bounded')).ackPending === 0, { what: 'every ack' });
      expect(probe.maxInFlight.get('spec-bounded')).toBe(BOUNDED_CONCURRENCY);
    });
  });
});
