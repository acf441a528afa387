// An in-process bus for tests: the surface modules use (ModuleBus), no NATS.
// Core publishes and JetStream events reach subscribers of their subject; requests go
// to responders a test installs with `answer`, or fail as if the service were down;
// durable consumers get what is published to their stream's subjects.
import { EventEnvelope, OfflineHandOffV2, OfflineStoreV1, OfflineStoreV2, OfflineSubjects, StreamSpec } from '@parley/contracts';
import { BusReplyError, BusUnavailableError, ConsumeOptions, ConsumerHandle, ReplyException } from '@parley/nats';
import type { Msg, JsMsg, Subscription } from 'nats';
import type { ModuleBus, StreamReplay } from '../host/module';

type Handler = (data: unknown) => void | Promise<void>;

export class FakeBus implements ModuleBus {
  /** Everything published (core and JetStream), oldest first. */
  readonly published: Array<{ subject: string; data: unknown }> = [];
  /** Requests made, oldest first. */
  readonly requests: Array<{ subject: string; data: unknown }> = [];
  /** Messages of a stream as `replay` hands them out (tests fill it). */
  readonly streams = new Map<string, unknown[]>();
  readonly ensured = new Set<string>();
  private readonly subs = new Map<string, Set<Handler>>();
  private readonly responders = new Map<string, (data: any) => unknown>();
  private readonly consumers: Array<ConsumeOptions<unknown>> = [];

  /** Answers requests on `subject`; throw ReplyException to answer an error. */
  answer<Q = any, R = unknown>(subject: string, fn: (query: Q) => R | Promise<R>): void {
    this.responders.set(subject, fn);
  }

  /** Answers requests on `subject` as a service would (the gateway's own `serve`); undone by the returned subscription. */
  serve<Q, R>(subject: string, handler: (query: Q, msg: Msg) => Promise<R> | R): Subscription {
    const fn = (q: Q) => handler(q, {} as Msg);
    this.responders.set(subject, fn);
    return { unsubscribe: () => void (this.responders.get(subject) === fn && this.responders.delete(subject)) } as unknown as Subscription;
  }

  /** Requests on `subject` fail as if nobody answered. */
  down(subject: string): void {
    this.responders.delete(subject);
  }

  publish(subject: string, data: unknown): boolean {
    this.published.push({ subject, data });
    this.deliver(subject, data);
    return true;
  }

  subscribe<T>(subject: string, handler: (data: T, msg: Msg) => void | Promise<void>): Subscription {
    let set = this.subs.get(subject);
    if (!set) this.subs.set(subject, (set = new Set()));
    const h: Handler = (d) => handler(d as T, {} as Msg);
    set.add(h);
    return { unsubscribe: () => void set!.delete(h) } as unknown as Subscription;
  }

  async request<T>(subject: string, data: unknown): Promise<T> {
    this.requests.push({ subject, data });
    const r = this.responders.get(subject);
    if (!r) throw new BusUnavailableError(subject, 'no-responders');
    try {
      return structuredClone(await r(structuredClone(data))) as T;
    } catch (e) {
      if (e instanceof ReplyException) throw new BusReplyError(subject, e.error);
      throw e;
    }
  }

  async ensureStreams(specs: StreamSpec[]): Promise<void> {
    for (const s of specs) this.ensured.add(s.name);
  }

  /** The NATS server's `max_payload` as modules read it (NATS's default). */
  maxPayloadBytes = 1024 * 1024;

  maxPayload(): number {
    return this.maxPayloadBytes;
  }

  /** While true, JetStream publishes fail as they do while NATS is down. */
  eventsDown = false;

  /** While set, JetStream acks wait for it (a slow JetStream): publishes are recorded at once, and fail when it rejects. */
  eventAcks?: Promise<void>;

  async publishEvent<T>(event: EventEnvelope<T>, subject: string = event.type): Promise<void> {
    if (this.eventsDown) throw new Error('JetStream publish failed (the bus is down)');
    if (this.eventAcks) {
      const acks = this.eventAcks;
      this.published.push({ subject, data: event });
      await acks;
    } else this.published.push({ subject, data: event });
    this.deliver(subject, event);
    for (const c of this.consumers) {
      if (c.filterSubjects.includes(subject)) await c.handler(event as EventEnvelope<unknown>, {} as JsMsg);
    }
  }

  async consume<T>(opts: ConsumeOptions<T>): Promise<ConsumerHandle> {
    const c = opts as unknown as ConsumeOptions<unknown>;
    this.consumers.push(c);
    return { stop: async () => void this.consumers.splice(this.consumers.indexOf(c), 1) };
  }

  async replay(spec: StreamSpec, onMessage: (data: Uint8Array) => void): Promise<StreamReplay> {
    for (const m of this.streams.get(spec.name) ?? []) onMessage(new TextEncoder().encode(JSON.stringify(m)));
    return { caughtUp: Promise.resolve(), stop: async () => undefined };
  }

  /** What was published on `subject`. */
  sent<T = unknown>(subject: string): T[] {
    return this.published.filter((p) => p.subject === subject).map((p) => p.data as T);
  }

  /** The offline hand-offs published (`offline.cmd.store`, whole envelopes of version 1 or 2), one by one in order. */
  handOffs(): OfflineHandOffV2[] {
    return this.sent<EventEnvelope<OfflineStoreV1 | OfflineStoreV2>>(OfflineSubjects.store).flatMap((e) =>
      e.version === 2 ? (e.data as OfflineStoreV2).handOffs : [{ ...(e.data as OfflineStoreV1), id: e.id }],
    );
  }

  private deliver(subject: string, data: unknown): void {
    for (const h of this.subs.get(subject) ?? []) void h(structuredClone(data));
  }
}
