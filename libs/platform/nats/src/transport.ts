// The Nest transport for Parley's bus: service handlers are controllers.
//
//   @MessagePattern(subject)                      core-NATS request/reply in the service's queue group
//   @EventPattern(subject, { stream, durable })   durable JetStream pull consumer (see BusEventOptions)
//
// The wire format is the bus's own (JSON `Reply<T>` answers, `EventEnvelope` events,
// every subject and stream under NATS_NAMESPACE), so callers that are not on Nest (the
// gateway's hot path) are unaffected. Nest's built-in Transport.NATS would wrap every
// message in its own packet ({pattern, data, id}) and knows neither the namespace nor
// JetStream; see docs/adding-a-service.md for why no community transport is used.
import { CustomTransportStrategy, MessageHandler, Server } from '@nestjs/microservices';
import { BaseRpcContext } from '@nestjs/microservices/ctx-host/base-rpc.context';
import type { EventEnvelope, ReplyError, StreamSpec } from '@parley/contracts';
import type { JsMsg, Msg, Subscription } from 'nats';
import { lastValueFrom } from 'rxjs';
import { BatchOutcome, Bus, BusLogger, ConsumerHandle, decodeJson, EventBatch } from './bus';
import { ReplyException } from './errors';

/** The options of an `@EventPattern(subject, options)` handler (the decorator's `extras`). */
export interface BusEventOptions {
  /** The stream the subject is stored in. */
  stream: StreamSpec;
  /** Durable consumer name: one per (service, purpose); replicas share it. Several handlers may share one durable. */
  durable: string;
  /** Redeliveries before JetStream gives up (default 20; -1 = never, for what must not be lost). */
  maxDeliver?: number;
  /** How long a handler may take before redelivery (default 30 s). */
  ackWaitMs?: number;
  /** Messages of this durable handled at once (default 1: strictly in order). */
  concurrency?: number;
  /** Where a new consumer starts: `all` (default) or `new`. */
  deliver?: 'all' | 'new';
  /** Per-key ordering: events with the same key run one at a time, in stream order (with `batch`: the lane key). */
  orderingKey?: (event: EventEnvelope<unknown>) => string | undefined;
  /**
   * Batches (Bus.consumeBatches): the handler receives `{ events }` (an EventBatch, up
   * to `max` events in stream order) and resolves to one BatchOutcome per event;
   * `lanes` batches run at once, the events of one orderingKey always on the same lane.
   * The durable has this one handler.
   */
  batch?: { max: number; lanes?: number };
}

/** What kind of bus message a handler is running for. */
export type BusMessageKind = 'request' | 'event';

/** The context a bus handler runs in (`@Ctx() ctx: BusContext`). */
export class BusContext extends BaseRpcContext<[subject: string, kind: BusMessageKind, raw: Msg | JsMsg]> {
  /** The logical (un-namespaced) subject. */
  getSubject(): string {
    return this.args[0];
  }
  getKind(): BusMessageKind {
    return this.args[1];
  }
  /** How many times this event was delivered before (0 for requests and first deliveries). */
  getRedeliveryCount(): number {
    const raw = this.args[2] as JsMsg;
    return this.args[1] === 'event' ? raw.info.redeliveryCount - 1 : 0;
  }
}

/** Options of {@link BusTransport}. */
export interface BusTransportOptions {
  /** Queue group every replica's responders join (see `QueueGroups` in @parley/contracts). */
  queue: string;
  /** Streams provisioned before any consumer starts (published to or consumed from). */
  streams: StreamSpec[];
  /** Concurrency per durable, overriding the handlers' own (for values from the service's configuration). */
  concurrency?: Record<string, number>;
  /** Batch sizes and lanes per batched durable, overriding the handlers' own (from the service's configuration). */
  batches?: Record<string, { max: number; lanes?: number }>;
  logger?: BusLogger;
}

/** The answer to a failed request, from whatever the exception filter let through. */
export function replyErrorOf(e: unknown): ReplyError | undefined {
  if (e instanceof ReplyException) return e.error;
  return undefined;
}

/**
 * A Nest microservice strategy over {@link Bus}: start it with
 * `app.connectMicroservice({ strategy: new BusTransport(bus, options) }, { inheritAppConfig: true })`
 * (done by `runService` in @parley/runtime).
 */
export class BusTransport extends Server implements CustomTransportStrategy {
  private readonly subscriptions: Subscription[] = [];
  private readonly consumers: ConsumerHandle[] = [];
  private readonly inflight = new Set<Promise<unknown>>();
  private readonly log: BusLogger;

  constructor(
    private readonly bus: Bus,
    private readonly options: BusTransportOptions,
  ) {
    super();
    this.log = options.logger ?? { info() {}, warn() {}, error() {} };
  }

  async listen(callback: (err?: unknown) => void): Promise<void> {
    try {
      await this.start();
      callback();
    } catch (e) {
      callback(e);
    }
  }

  private async start(): Promise<void> {
    await this.bus.ensureStreams(this.options.streams);
    const durables = new Map<string, { options: BusEventOptions; handlers: Map<string, MessageHandler> }>();
    for (const [pattern, handler] of this.messageHandlers) {
      if (!handler.isEventHandler) {
        this.subscriptions.push(this.bus.subscribeRaw(pattern, (msg) => this.track(this.answer(pattern, handler, msg)), { queue: this.options.queue }));
        continue;
      }
      const options = handler.extras as BusEventOptions | undefined;
      if (!options?.stream || !options.durable) throw new Error(`@EventPattern('${pattern}') needs { stream, durable } options`);
      const group = durables.get(options.durable) ?? { options, handlers: new Map() };
      if (group.options.stream.name !== options.stream.name) throw new Error(`durable ${options.durable} spans two streams`);
      group.handlers.set(pattern, handler);
      durables.set(options.durable, group);
    }
    for (const [durable, { options, handlers }] of durables) {
      const batch = this.options.batches?.[durable] ?? options.batch;
      if (batch) {
        if (handlers.size !== 1) throw new Error(`batched durable ${durable} must have exactly one handler`);
        const [[subject, handler]] = [...handlers];
        this.consumers.push(
          await this.bus.consumeBatches<unknown>({
            stream: options.stream,
            durable,
            filterSubjects: [subject],
            maxDeliver: options.maxDeliver,
            ackWaitMs: options.ackWaitMs,
            deliver: options.deliver,
            maxBatch: batch.max,
            lanes: batch.lanes,
            laneKey: options.orderingKey,
            handler: (events, msgs) => this.track(this.dispatchBatch(subject, handler, events, msgs[0])),
          }),
        );
        continue;
      }
      this.consumers.push(
        await this.bus.consume<unknown>({
          stream: options.stream,
          durable,
          filterSubjects: [...handlers.keys()],
          maxDeliver: options.maxDeliver,
          ackWaitMs: options.ackWaitMs,
          concurrency: this.options.concurrency?.[durable] ?? options.concurrency,
          deliver: options.deliver,
          orderingKey: options.orderingKey,
          handler: (event, m) => this.track(this.dispatch(handlers, event, m)),
        }),
      );
    }
    await this.bus.flush();
    this.log.info({ queue: this.options.queue, subjects: [...this.messageHandlers.keys()], durables: [...durables.keys()] }, 'bus transport listening');
  }

  private track<T>(p: Promise<T>): Promise<T> {
    this.inflight.add(p);
    void p.finally(() => this.inflight.delete(p)).catch(() => undefined);
    return p;
  }

  /** Runs a request handler and answers with a `Reply` (the filter has mapped domain errors). */
  private async answer(subject: string, handler: MessageHandler, msg: Msg): Promise<void> {
    let payload: string;
    try {
      let data: unknown;
      try {
        data = decodeJson<unknown>(msg.data);
      } catch {
        throw ReplyException.of('bad-request', 'the request is not JSON');
      }
      const result = await lastValueFrom(this.transformToObservable(await handler(data, new BusContext([subject, 'request', msg]))), { defaultValue: undefined });
      payload = JSON.stringify({ ok: true, data: result });
    } catch (e) {
      const error = replyErrorOf(e);
      if (!error) this.log.error({ err: e, subject }, 'request handler failed');
      payload = JSON.stringify({ ok: false, error: error ?? { condition: 'internal-server-error' } });
    }
    if (msg.reply) msg.respond(new TextEncoder().encode(payload));
  }

  /** Runs the event handler of the message's subject; resolves to ack, rejects to nak or term (see Bus.consume). */
  private async dispatch(handlers: Map<string, MessageHandler>, event: EventEnvelope<unknown>, m: JsMsg): Promise<void> {
    const subject = this.bus.logicalSubject(m.subject);
    const handler = handlers.get(subject) ?? this.wildcardHandler(handlers, subject);
    if (!handler) throw new Error(`no handler for ${subject}`);
    let next: MessageHandler | null = handler;
    while (next) {
      await lastValueFrom(this.transformToObservable(await next(event, new BusContext([subject, 'event', m]))), { defaultValue: undefined });
      next = next.next ?? null;
    }
  }

  /** Runs a batch handler with `{ events }`; resolves to its outcomes (rejects: the whole batch is redelivered). */
  private async dispatchBatch(subject: string, handler: MessageHandler, events: Array<EventEnvelope<unknown>>, first: JsMsg): Promise<BatchOutcome[]> {
    const batch: EventBatch<unknown> = { events };
    const outcomes = await lastValueFrom(this.transformToObservable(await handler(batch, new BusContext([subject, 'event', first]))), { defaultValue: undefined });
    if (!Array.isArray(outcomes)) throw new Error(`the batch handler of ${subject} answered no outcomes`);
    return outcomes as BatchOutcome[];
  }

  private wildcardHandler(handlers: Map<string, MessageHandler>, subject: string): MessageHandler | undefined {
    for (const [pattern, h] of handlers) if (subjectMatches(pattern, subject)) return h;
    return undefined;
  }

  async close(): Promise<void> {
    for (const s of this.subscriptions.splice(0)) s.unsubscribe();
    for (const c of this.consumers.splice(0)) await c.stop();
    await Promise.allSettled([...this.inflight]);
  }

  on(): never {
    throw new Error('BusTransport has no events; use Bus.status()');
  }

  unwrap<T>(): T {
    return this.bus as T;
  }
}

/** Whether NATS subject `pattern` (with `*` and `>` wildcards) matches `subject`. */
export function subjectMatches(pattern: string, subject: string): boolean {
  const p = pattern.split('.');
  const s = subject.split('.');
  for (let i = 0; i < p.length; i++) {
    if (p[i] === '>') return s.length > i;
    if (i >= s.length) return false;
    if (p[i] !== '*' && p[i] !== s[i]) return false;
  }
  return p.length === s.length;
}

