// The typed bus every service uses: core NATS for routing and request/reply,
// JetStream for events that must not be lost. All subjects and stream names pass
// through the deployment namespace, so several deployments (or parallel test
// suites) can share one NATS without seeing each other.
import {
  AckPolicy,
  DeliverPolicy,
  ErrorCode,
  JetStreamClient,
  JetStreamManager,
  JsMsg,
  Msg,
  NatsConnection,
  NatsError,
  RequestStrategy,
  RetentionPolicy,
  Status,
  StorageType,
  StreamConfig,
  Subscription,
  connect,
  headers as natsHeaders,
  nanos,
} from 'nats';
import type { EventEnvelope, Reply, StreamSpec } from '@parley/contracts';
import { BusReplyError, BusUnavailableError, ReplyException, TerminalError } from './errors';
import { assertNamespace, inboxPrefixFor, wireStreamName, wireSubject } from './naming';

/** Minimal logger shape (pino-compatible). */
export interface BusLogger {
  info(obj: object, msg?: string): void;
  warn(obj: object, msg?: string): void;
  error(obj: object, msg?: string): void;
}

const silent: BusLogger = { info() {}, warn() {}, error() {} };

/** How to reach NATS. */
export interface BusOptions {
  url: string;
  /** Client name shown by the NATS server (service + instance). */
  name: string;
  /** Prefix for every subject and stream; empty for none. Letters, digits, '-' and '_'. */
  namespace?: string;
  logger?: BusLogger;
  /** NATS user (the process's bus role, e.g. `roster`); none: an unauthenticated server. */
  user?: string;
  /** The user's password. Never logged. */
  password?: string;
  /** Replicas of the streams and KV buckets this process creates or owns (default 1; 3 on a three-node cluster). */
  streamReplicas?: number;
  /** TLS to NATS: a CA to verify the server with, and a client certificate for mutual TLS. */
  tls?: { caFile?: string; certFile?: string; keyFile?: string };
  /**
   * Bytes of core-NATS publishes kept while the connection is down (the client library
   * would buffer every one, without a bound, until it reconnects); past it publishes are
   * dropped and counted ({@link Bus.droppedWhileAway}). Default 8 MiB.
   */
  maxBufferWhileAway?: number;
}

/** Default bound of {@link BusOptions.maxBufferWhileAway}. */
export const DEFAULT_BUFFER_WHILE_AWAY = 8 * 1024 * 1024;

/** What a durable consumer needs. */
export interface ConsumeOptions<T> {
  stream: StreamSpec;
  /** Durable consumer name: one per (service, purpose); replicas share it. */
  durable: string;
  /** Subjects within the stream (un-namespaced). */
  filterSubjects: string[];
  /** Called once per message; resolve to ack, throw to retry later, throw TerminalError to drop. */
  handler: (event: EventEnvelope<T>, msg: JsMsg) => Promise<void>;
  /** Where a new consumer starts: `all` (default) or `new`. */
  deliver?: 'all' | 'new';
  /** Redeliveries before giving up (default 20). */
  maxDeliver?: number;
  /** How long a handler may take before redelivery (default 30 s). */
  ackWaitMs?: number;
  /** Messages handled at once (default 1: in order). */
  concurrency?: number;
  /**
   * Per-key ordering: messages with the same key run one at a time in stream order,
   * different keys concurrently (up to `concurrency`). Undefined key: no ordering.
   */
  orderingKey?: (event: EventEnvelope<T>) => string | undefined;
}

/**
 * What became of one event of a batch (see {@link Bus.consumeBatches}): `undefined` acks
 * it, a {@link TerminalError} drops it for good, any other error redelivers it later.
 */
export type BatchOutcome = Error | undefined;

/** The payload a batch handler receives: events in stream order (per lane). */
export interface EventBatch<T> {
  events: Array<EventEnvelope<T>>;
}

/** What a batched durable consumer needs. */
export interface ConsumeBatchesOptions<T> extends Omit<ConsumeOptions<T>, 'handler' | 'concurrency' | 'orderingKey'> {
  /** Most events per handler call. */
  maxBatch: number;
  /** Batches handled at once (default 1), each on its own lane of keys. */
  lanes?: number;
  /** Events with the same key go to the same lane: in stream order, never in two batches at once. */
  laneKey?: (event: EventEnvelope<T>) => string | undefined;
  /** One outcome per event, in the same order; throwing redelivers the whole batch later. */
  handler: (events: Array<EventEnvelope<T>>, msgs: JsMsg[]) => Promise<BatchOutcome[]>;
}

/** FNV-1a of a string: the lane of a key. */
function hashKey(key: string): number {
  let h = 0x811c9dc5;
  for (let i = 0; i < key.length; i++) h = Math.imul(h ^ key.charCodeAt(i), 0x01000193);
  return h >>> 0;
}

/** A KV bucket (see {@link Bus.kv}): writes that lose a race resolve `undefined` instead of throwing. */
export interface BusKv {
  /** The current value and its revision; undefined when absent, deleted or expired. */
  get(key: string): Promise<{ value: Uint8Array; revision: number } | undefined>;
  /** Writes `key` only when absent (or deleted/expired); the new revision, or undefined when it exists. */
  create(key: string, value: Uint8Array): Promise<number | undefined>;
  /** Writes `key` only when its revision is still `revision`; the new revision, or undefined when it changed. */
  update(key: string, value: Uint8Array, revision: number): Promise<number | undefined>;
  delete(key: string): Promise<void>;
  /** Deletes the bucket (tests and uninstall only). */
  destroy(): Promise<void>;
}

/** A running consumer. */
export interface ConsumerHandle {
  stop(): Promise<void>;
  /** The stream and durable it reads (for the backlog metric). */
  readonly stream?: StreamSpec;
  readonly durable?: string;
}

const enc = new TextEncoder();
const dec = new TextDecoder();

/** Encodes a value as JSON bytes. */
export function encodeJson(v: unknown): Uint8Array {
  return enc.encode(JSON.stringify(v));
}
/** Decodes JSON bytes. */
export function decodeJson<T>(b: Uint8Array): T {
  return JSON.parse(dec.decode(b)) as T;
}

/** Whether a stream's configuration already matches what {@link Bus.ensureStreams} would set. */
function sameStreamConfig(
  a: StreamConfig,
  b: Pick<StreamConfig, 'subjects' | 'retention' | 'storage' | 'max_age' | 'max_msgs_per_subject' | 'duplicate_window' | 'description' | 'num_replicas'>,
): boolean {
  const subjects = (x: string[] | undefined) => [...(x ?? [])].sort().join(' ');
  return (
    subjects(a.subjects) === subjects(b.subjects) &&
    a.retention === b.retention &&
    a.storage === b.storage &&
    a.max_age === b.max_age &&
    (a.max_msgs_per_subject ?? -1) === (b.max_msgs_per_subject ?? -1) &&
    a.duplicate_window === b.duplicate_window &&
    (a.num_replicas ?? 1) === (b.num_replicas ?? 1) &&
    (a.description ?? '') === (b.description ?? '')
  );
}

/** Whether NATS refused an operation for lack of permission. */
export function isPermissionError(e: unknown): boolean {
  return (e as NatsError)?.code === ErrorCode.PermissionsViolation || /permissions violation/i.test((e as Error)?.message ?? '');
}

function filterConfig(filters: string[]): { filter_subject?: string; filter_subjects?: string[] } {
  if (filters.length === 0) return {};
  if (filters.length === 1) return { filter_subject: filters[0] };
  return { filter_subjects: filters };
}

export class Bus {
  private jsmPromise?: Promise<JetStreamManager>;
  private readonly consumers = new Set<ConsumerHandle>();
  private readonly js: JetStreamClient;

  private constructor(
    private readonly nc: NatsConnection,
    readonly namespace: string,
    private readonly log: BusLogger,
    private readonly maxBufferWhileAway = DEFAULT_BUFFER_WHILE_AWAY,
    /** Replicas of the streams and KV buckets this process creates or owns. */
    readonly streamReplicas = 1,
  ) {
    this.js = nc.jetstream();
    this.watchStatus();
  }

  /** Connects, retrying while the server comes up, with unbounded reconnects afterwards. */
  static async connect(opts: BusOptions): Promise<Bus> {
    const ns = opts.namespace ?? '';
    assertNamespace(ns);
    if (opts.streamReplicas !== undefined && !(Number.isInteger(opts.streamReplicas) && opts.streamReplicas >= 1 && opts.streamReplicas <= 5))
      throw new Error(`streamReplicas must be an integer from 1 to 5, not ${opts.streamReplicas}`);
    const tls = opts.tls && (opts.tls.caFile || opts.tls.certFile) ? { caFile: opts.tls.caFile, certFile: opts.tls.certFile, keyFile: opts.tls.keyFile } : undefined;
    const nc = await connect({
      servers: opts.url,
      name: opts.name,
      maxReconnectAttempts: -1,
      reconnectTimeWait: 500,
      waitOnFirstConnect: true,
      timeout: 5000,
      // No stack captured at every request and subscription timer (two Error objects per
      // request, a measurable share of a gateway's CPU on the offline hand-off path):
      // a timeout still rejects with its NatsError, without the caller's async trace.
      noAsyncTraces: true,
      ...(opts.user ? { user: opts.user, pass: opts.password ?? '', inboxPrefix: inboxPrefixFor(opts.user) } : {}),
      ...(tls ? { tls } : {}),
    });
    return new Bus(nc, ns, opts.logger ?? silent, opts.maxBufferWhileAway, opts.streamReplicas ?? 1);
  }

  /** The wire subject for a logical subject. */
  subject(s: string): string {
    return wireSubject(this.namespace, s);
  }

  /** The logical subject of a wire subject (the namespace prefix removed). */
  logicalSubject(wire: string): string {
    const prefix = this.namespace ? `${this.namespace}.` : '';
    return prefix && wire.startsWith(prefix) ? wire.slice(prefix.length) : wire;
  }

  /** The wire stream name for a logical stream. */
  streamName(spec: StreamSpec): string {
    return wireStreamName(this.namespace, spec);
  }

  private jsm(): Promise<JetStreamManager> {
    this.jsmPromise ??= this.nc.jetstreamManager();
    return this.jsmPromise;
  }

  // ---- connection ---------------------------------------------------------

  /** Round trip to the server: every publish and subscription before it has been seen. */
  async flush(): Promise<void> {
    await this.nc.flush();
  }

  /** Whether the connection is up (not closed, not reconnecting). */
  /** The largest message the server accepts (its INFO `max_payload`; NATS's default 1 MiB until known). */
  maxPayload(): number {
    return this.nc.info?.max_payload ?? 1024 * 1024;
  }

  isConnected(): boolean {
    return !this.nc.isClosed() && !this.reconnecting;
  }
  private reconnecting = false;

  /** Connection status changes (disconnect, reconnect, ...), for as long as the connection lives. */
  status(): AsyncIterable<Status> {
    return this.nc.status();
  }

  /** Calls `fn` after every reconnection (state that may have missed messages must be rebuilt). */
  onReconnect(fn: () => void): void {
    this.reconnectListeners.push(fn);
  }
  private readonly reconnectListeners: Array<() => void> = [];

  private watchStatus(): void {
    void (async () => {
      for await (const s of this.nc.status()) {
        if (s.type === 'disconnect' || s.type === 'reconnecting') this.reconnecting = true;
        if (s.type === 'reconnect') {
          this.reconnecting = false;
          this.bufferedWhileAway = 0;
          for (const fn of this.reconnectListeners) {
            try {
              fn();
            } catch (e) {
              this.log.error({ err: e }, 'reconnect listener failed');
            }
          }
        }
      }
    })().catch(() => undefined);
  }

  // ---- core NATS ----------------------------------------------------------

  /** Bytes published since the connection went away (what the client library holds for the reconnect). */
  private bufferedWhileAway = 0;
  /** Core-NATS publishes dropped because the connection was away and the buffer bound reached. */
  droppedWhileAway = 0;

  /**
   * Fire-and-forget JSON publish on core NATS. While the connection is away at most
   * `maxBufferWhileAway` bytes are kept for the reconnect; past it the publish is
   * dropped (counted, false returned).
   */
  publish(subject: string, data: unknown): boolean {
    return this.publishRaw(subject, encodeJson(data));
  }

  /** Fire-and-forget raw publish (hot path: pre-encoded bytes); false when dropped (see {@link publish}). */
  publishRaw(subject: string, data: Uint8Array): boolean {
    if (this.reconnecting) {
      if (this.bufferedWhileAway + data.length > this.maxBufferWhileAway) {
        if (this.droppedWhileAway++ === 0) this.log.warn({ subject, bound: this.maxBufferWhileAway }, 'NATS away: publish buffer full, dropping core-NATS publishes until it is back');
        return false;
      }
      this.bufferedWhileAway += data.length;
    }
    this.nc.publish(this.subject(subject), data);
    return true;
  }

  /**
   * Request/reply with raw bytes both ways and no reply envelope (hot path between
   * gateways). Throws {@link BusUnavailableError}: `no-responders` at once when nobody
   * subscribes to the subject (e.g. its process died), `timeout` when no answer came.
   */
  async requestRaw(subject: string, data: Uint8Array, timeoutMs: number): Promise<Uint8Array> {
    try {
      return (await this.nc.request(this.subject(subject), data, { timeout: timeoutMs })).data;
    } catch (e) {
      const code = (e as NatsError).code;
      if (code === ErrorCode.NoResponders) throw new BusUnavailableError(subject, 'no-responders', { cause: e });
      if (code === ErrorCode.Timeout) throw new BusUnavailableError(subject, 'timeout', { cause: e });
      throw e;
    }
  }

  /** Subscribes to JSON messages; handler errors are logged, never thrown into NATS. */
  subscribe<T>(subject: string, handler: (data: T, msg: Msg) => void | Promise<void>, opts: { queue?: string } = {}): Subscription {
    return this.subscribeRaw(subject, (m) => handler(decodeJson<T>(m.data), m), opts);
  }

  /** Subscribes to raw messages. */
  subscribeRaw(subject: string, handler: (msg: Msg) => void | Promise<void>, opts: { queue?: string } = {}): Subscription {
    return this.nc.subscribe(this.subject(subject), {
      queue: opts.queue,
      callback: (err, msg) => {
        if (err) {
          this.log.error({ err, subject }, 'subscription error');
          return;
        }
        try {
          const r = handler(msg);
          if (r && typeof (r as Promise<void>).catch === 'function')
            (r as Promise<void>).catch((e) => this.log.error({ err: e, subject }, 'handler failed'));
        } catch (e) {
          this.log.error({ err: e, subject }, 'handler failed');
        }
      },
    });
  }

  /**
   * Request/reply with a typed answer. Resolves with the responder's data; throws
   * {@link BusReplyError} when it answered with an error and
   * {@link BusUnavailableError} when nobody answered (fails fast on no responders).
   */
  async request<T>(subject: string, data: unknown, opts: { timeoutMs?: number } = {}): Promise<T> {
    let msg: Msg;
    try {
      msg = await this.nc.request(this.subject(subject), encodeJson(data), { timeout: opts.timeoutMs ?? 5000 });
    } catch (e) {
      const code = (e as NatsError).code;
      if (code === ErrorCode.NoResponders) throw new BusUnavailableError(subject, 'no-responders', { cause: e });
      if (code === ErrorCode.Timeout) throw new BusUnavailableError(subject, 'timeout', { cause: e });
      throw e;
    }
    const reply = decodeJson<Reply<T>>(msg.data);
    if (!reply.ok) throw new BusReplyError(subject, reply.error);
    return reply.data;
  }

  /**
   * Scatter-gather: sends one request and collects every answer that arrives within
   * `maxWaitMs` (all responders, not a queue group). Answers that are not JSON are
   * logged and dropped; `accept` validates each decoded answer (false: dropped).
   */
  async requestMany<T>(subject: string, data: unknown, opts: { maxWaitMs: number; accept: (v: unknown) => v is T }): Promise<T[]> {
    const out: T[] = [];
    const replies = await this.nc.requestMany(this.subject(subject), encodeJson(data), { strategy: RequestStrategy.Timer, maxWait: opts.maxWaitMs });
    for await (const m of replies) {
      if (m.data.length === 0) continue; // the no-responders status message
      let v: unknown;
      try {
        v = decodeJson<unknown>(m.data);
      } catch (e) {
        this.log.warn({ err: e, subject }, 'undecodable answer dropped');
        continue;
      }
      if (opts.accept(v)) out.push(v);
      else this.log.warn({ subject }, 'malformed answer dropped');
    }
    return out;
  }

  /**
   * Answers requests on `subject` (in queue group `queue`, so replicas share the
   * load). A thrown {@link ReplyException} becomes that error; anything else is
   * logged and answered `internal-server-error`.
   */
  serve<Q, R>(subject: string, handler: (query: Q, msg: Msg) => Promise<R> | R, opts: { queue: string }): Subscription {
    return this.subscribeRaw(
      subject,
      async (msg) => {
        let reply: Reply<R>;
        try {
          reply = { ok: true, data: await handler(decodeJson<Q>(msg.data), msg) };
        } catch (e) {
          if (e instanceof ReplyException) reply = { ok: false, error: e.error };
          else {
            this.log.error({ err: e, subject }, 'request handler failed');
            reply = { ok: false, error: { condition: 'internal-server-error' } };
          }
        }
        if (msg.reply) msg.respond(encodeJson(reply));
      },
      opts,
    );
  }

  // ---- JetStream ----------------------------------------------------------

  /** Creates or updates streams to match their specs. */
  async ensureStreams(specs: StreamSpec[]): Promise<void> {
    const jsm = await this.jsm();
    for (const spec of specs) {
      const config = {
        name: this.streamName(spec),
        subjects: spec.subjects.map((s) => this.subject(s)),
        retention: spec.retention === 'workqueue' ? RetentionPolicy.Workqueue : RetentionPolicy.Limits,
        storage: StorageType.File,
        max_age: nanos(spec.maxAgeMs),
        max_msgs_per_subject: spec.maxMsgsPerSubject ?? -1,
        duplicate_window: nanos(spec.maxAgeMs ? Math.min(2 * 60_000, spec.maxAgeMs) : 2 * 60_000),
        description: spec.description,
        num_replicas: this.streamReplicas,
      };
      let current: StreamConfig | undefined;
      try {
        current = (await jsm.streams.info(config.name)).config;
      } catch (e) {
        if (!((e as NatsError).code === '404' || /stream not found/i.test((e as Error).message))) throw e;
      }
      if (!current) {
        try {
          await jsm.streams.add(config);
        } catch (e) {
          // Another process created it meanwhile (services start in any order).
          if (!/already in use/i.test((e as Error).message)) throw e;
        }
        continue;
      }
      if (sameStreamConfig(current, config)) continue;
      try {
        await jsm.streams.update(config.name, config);
      } catch (e) {
        // Only the stream's owner may change it (bus permissions): the others go on with it as it is.
        if (!isPermissionError(e)) throw e;
        this.log.warn({ stream: config.name }, 'stream configuration differs from this version; only its owner may update it');
      }
    }
  }

  /** Deletes streams (tests and uninstall only). */
  async deleteStreams(specs: StreamSpec[]): Promise<void> {
    const jsm = await this.jsm();
    for (const spec of specs) {
      try {
        await jsm.streams.delete(this.streamName(spec));
      } catch {
        /* absent */
      }
    }
  }

  /**
   * Publishes an event durably and waits for the stream's ack, de-duplicated by id
   * (`dedupe: false` publishes a second copy, for tests of redelivery and duplicates).
   */
  async publishEvent<T>(event: EventEnvelope<T>, subject: string = event.type, opts: { dedupe?: boolean; coalesce?: boolean } = {}): Promise<void> {
    if (opts.coalesce) return this.publishCoalesced(event, subject);
    if (opts.dedupe === false) {
      await this.js.publish(this.subject(subject), encodeJson(event));
      return;
    }
    const h = natsHeaders();
    h.set('Nats-Msg-Id', event.id);
    await this.js.publish(this.subject(subject), encodeJson(event), { msgID: event.id, headers: h });
  }

  /**
   * `publishEvent` at the end of this turn of the event loop, with every other one queued
   * in it, in order: nats.js writes what was queued at each microtask checkpoint, so a
   * caller that awaits between publishes (a stream handling one stanza after another)
   * would otherwise pay one socket write per event.
   */
  private publishCoalesced<T>(event: EventEnvelope<T>, subject: string): Promise<void> {
    return new Promise<void>((resolve, reject) => {
      this.coalesced.push(() => this.publishEvent(event, subject).then(resolve, reject));
      if (this.coalesced.length === 1) setImmediate(() => {
        for (const publish of this.coalesced.splice(0)) publish();
      });
    });
  }

  private readonly coalesced: Array<() => void> = [];

  /** Publishes arbitrary bytes to a stream subject (tests of poison messages). */
  async publishEventRaw(subject: string, data: Uint8Array): Promise<void> {
    await this.js.publish(this.subject(subject), data);
  }

  /** Message count and sequence range of a stream. */
  async streamState(spec: StreamSpec): Promise<{ messages: number; firstSeq: number; lastSeq: number }> {
    const info = await (await this.jsm()).streams.info(this.streamName(spec));
    return { messages: info.state.messages, firstSeq: info.state.first_seq, lastSeq: info.state.last_seq };
  }

  /** The last message stored on `subject` in a stream, or undefined when there is none. */
  async lastOnSubject<T>(spec: StreamSpec, subject: string): Promise<{ subject: string; data: T } | undefined> {
    try {
      const m = await (await this.jsm()).streams.getMessage(this.streamName(spec), { last_by_subj: this.subject(subject) });
      return { subject: this.logicalSubject(m.subject), data: decodeJson<T>(m.data) };
    } catch (e) {
      if ((e as NatsError).code === '404' || /no message found/i.test((e as Error).message)) return undefined;
      throw e;
    }
  }

  /** Messages a durable consumer has not yet been given, and given but not acked. */
  /** This process's running durable consumers (stream and durable), for the backlog metric. */
  runningConsumers(): Array<{ stream: StreamSpec; durable: string }> {
    const out: Array<{ stream: StreamSpec; durable: string }> = [];
    for (const h of this.consumers) if (h.stream && h.durable) out.push({ stream: h.stream, durable: h.durable });
    return out;
  }

  async consumerBacklog(spec: StreamSpec, durable: string): Promise<{ pending: number; ackPending: number }> {
    const c = await (await this.jsm()).consumers.info(this.streamName(spec), durable);
    return { pending: c.num_pending, ackPending: c.num_ack_pending };
  }

  /** Deletes a durable consumer (tests and uninstall only). */
  async deleteConsumer(spec: StreamSpec, durable: string): Promise<void> {
    await (await this.jsm()).consumers.delete(this.streamName(spec), durable);
  }

  /** Removes every message on `subject` from a stream. */
  async purgeSubject(spec: StreamSpec, subject: string): Promise<void> {
    await (await this.jsm()).streams.purge(this.streamName(spec), { filter: this.subject(subject) });
  }

  /**
   * Replays a stream from its first message with an ephemeral ordered consumer, then
   * follows it. `onMessage` gets the logical subject and raw bytes (validate them);
   * `caughtUp` resolves once every message stored at the start has been seen.
   */
  async replay(spec: StreamSpec, onMessage: (subject: string, data: Uint8Array) => void): Promise<{ caughtUp: Promise<void>; stop(): Promise<void> }> {
    const stream = this.streamName(spec);
    const info = await (await this.jsm()).streams.info(stream);
    // An ordered consumer starts at the first sequence by default. (Not `deliver_policy: All`:
    // nats.js 2.29 then still sends opt_start_seq, which the server refuses, and retries forever.)
    const consumer = await this.js.consumers.get(stream, {});
    const messages = await consumer.consume();
    let caughtUp!: () => void;
    const ready = new Promise<void>((resolve) => (caughtUp = resolve));
    if (info.state.messages === 0) caughtUp();
    const loop = (async () => {
      for await (const m of messages) {
        try {
          onMessage(this.logicalSubject(m.subject), m.data);
        } catch (e) {
          this.log.error({ err: e, stream }, 'replayed message handler failed');
        }
        if (m.info.pending === 0) caughtUp();
      }
    })().catch((e) => this.log.error({ err: e, stream }, 'stream replay ended'));
    return {
      caughtUp: ready,
      stop: async () => {
        await messages.close().catch(() => undefined);
        await loop;
      },
    };
  }

  /**
   * Starts a durable pull consumer. Each message is acked only after the handler
   * resolved (after the owner's own commit); failures are redelivered with backoff.
   */
  async consume<T>(opts: ConsumeOptions<T>): Promise<ConsumerHandle> {
    const { consumer } = await this.durableConsumer(opts);
    const stream = this.streamName(opts.stream);
    const durable = opts.durable;
    const messages = await consumer.consume({ max_messages: Math.max(opts.concurrency ?? 1, 16) });
    const concurrency = opts.concurrency ?? 1;
    const inflight = new Set<Promise<void>>();

    // The last message in progress per ordering key (see ConsumeOptions.orderingKey).
    const perKey = new Map<string, Promise<void>>();
    const ordered = (key: string | undefined, run: () => Promise<void>): Promise<void> => {
      if (key === undefined) return run();
      const before = perKey.get(key);
      const p = before ? before.then(run) : run();
      const tail = p.catch(() => undefined);
      perKey.set(key, tail);
      void tail.then(() => {
        if (perKey.get(key) === tail) perKey.delete(key);
      });
      return p;
    };

    const handle = async (m: JsMsg): Promise<void> => {
      const event = this.decodeEvent<T>(m, stream, durable);
      if (!event) return;
      try {
        let key: string | undefined;
        try {
          key = opts.orderingKey?.(event);
        } catch {
          key = undefined;
        }
        await ordered(key, () => opts.handler(event, m));
        m.ack();
      } catch (e) {
        this.settleFailed(m, e, stream, durable, event.id);
      }
    };

    const loop = (async () => {
      for await (const m of messages) {
        const p = handle(m).finally(() => inflight.delete(p));
        inflight.add(p);
        if (inflight.size >= concurrency) await Promise.race(inflight);
      }
      await Promise.all(inflight);
    })().catch((e) => this.log.error({ err: e, stream, durable }, 'consumer loop ended'));

    return this.runningConsumer(opts.stream, durable, messages, loop);
  }

  /**
   * Starts a durable pull consumer whose handler takes events in batches (one database
   * transaction for many, say): up to `maxBatch` events per call, in stream order; the
   * events of one `laneKey` always go to the same lane, so they are never in two batches
   * at once and keep their order; `lanes` batches run at once. Each event is acked,
   * terminated or redelivered by its own outcome, only after the handler resolved.
   * The events that arrive while a lane is busy make up its next batch.
   */
  async consumeBatches<T>(opts: ConsumeBatchesOptions<T>): Promise<ConsumerHandle> {
    if (!(opts.maxBatch >= 1)) throw new Error('consumeBatches needs maxBatch >= 1');
    const { consumer } = await this.durableConsumer(opts);
    const stream = this.streamName(opts.stream);
    const durable = opts.durable;
    const lanes = Math.max(1, opts.lanes ?? 1);
    // Received and not yet settled, at most two batches per lane (the one running and the next).
    const limit = opts.maxBatch * lanes * 2;
    const messages = await consumer.consume({ max_messages: limit });
    const queues = Array.from({ length: lanes }, () => [] as Array<{ event: EventEnvelope<T>; m: JsMsg }>);
    const busy = new Array<Promise<void> | undefined>(lanes).fill(undefined);
    let buffered = 0;
    let roomWaiter: (() => void) | undefined;
    let next = 0;

    const runBatch = async (batch: Array<{ event: EventEnvelope<T>; m: JsMsg }>): Promise<void> => {
      let outcomes: BatchOutcome[];
      try {
        outcomes = await opts.handler(
          batch.map((b) => b.event),
          batch.map((b) => b.m),
        );
        if (outcomes.length !== batch.length) throw new Error(`batch handler answered ${outcomes.length} outcomes for ${batch.length} events`);
      } catch (e) {
        outcomes = batch.map(() => (e instanceof Error ? e : new Error(String(e))));
      }
      batch.forEach((b, i) => {
        const o = outcomes[i];
        if (o === undefined) b.m.ack();
        else this.settleFailed(b.m, o, stream, durable, b.event.id);
      });
    };
    const kick = (lane: number): void => {
      if (busy[lane]) return;
      // After this turn of the event loop: what one read delivered joins the same batch.
      busy[lane] = new Promise<void>((r) => setImmediate(r)).then(async () => {
        try {
          while (queues[lane].length > 0) {
            const batch = queues[lane].splice(0, opts.maxBatch);
            await runBatch(batch);
            buffered -= batch.length;
            roomWaiter?.();
          }
        } finally {
          busy[lane] = undefined;
        }
      });
    };

    const loop = (async () => {
      for await (const m of messages) {
        const event = this.decodeEvent<T>(m, stream, durable);
        if (!event) continue;
        let key: string | undefined;
        try {
          key = opts.laneKey?.(event);
        } catch {
          key = undefined;
        }
        const lane = key === undefined ? next++ % lanes : hashKey(key) % lanes;
        queues[lane].push({ event, m });
        buffered += 1;
        kick(lane);
        while (buffered >= limit) await new Promise<void>((r) => (roomWaiter = r));
        roomWaiter = undefined;
      }
      await Promise.all(busy);
    })().catch((e) => this.log.error({ err: e, stream, durable }, 'consumer loop ended'));

    return this.runningConsumer(opts.stream, durable, messages, loop);
  }

  /** The event in a JetStream message, or undefined after terminating an undecodable one. */
  private decodeEvent<T>(m: JsMsg, stream: string, durable: string): EventEnvelope<T> | undefined {
    try {
      const event = decodeJson<EventEnvelope<T>>(m.data);
      if (typeof event !== 'object' || event === null || typeof event.id !== 'string') throw new Error('not an event envelope');
      return event;
    } catch (e) {
      this.log.error({ err: e, stream, durable }, 'undecodable event terminated');
      m.term();
      return undefined;
    }
  }

  /** A failed event: terminated (TerminalError) or redelivered with backoff. */
  private settleFailed(m: JsMsg, e: unknown, stream: string, durable: string, eventId: string): void {
    if (e instanceof TerminalError) {
      this.log.error({ err: e, stream, durable, eventId }, 'event terminated');
      m.term();
    } else {
      const delay = Math.min(30_000, 250 * 2 ** Math.min(m.info.redeliveryCount, 7));
      this.log.warn({ err: e, stream, durable, eventId, delay }, 'event failed, will retry');
      m.nak(delay);
    }
  }

  private runningConsumer(spec: StreamSpec, durable: string, messages: { close(): Promise<void | Error> }, loop: Promise<void>): ConsumerHandle {
    const h: ConsumerHandle = {
      stream: spec,
      durable,
      stop: async () => {
        this.consumers.delete(h);
        await messages.close().catch(() => undefined);
        await loop;
      },
    };
    this.consumers.add(h);
    return h;
  }

  /** Creates or updates the durable consumer and returns it. */
  private async durableConsumer(opts: Pick<ConsumeOptions<unknown>, 'stream' | 'durable' | 'filterSubjects' | 'deliver' | 'maxDeliver' | 'ackWaitMs'>) {
    const jsm = await this.jsm();
    const stream = this.streamName(opts.stream);
    const durable = opts.durable;
    // Filtering on every subject of the stream is no filter at all (and NATS < 2.10 takes one filter only).
    const wholeStream = opts.filterSubjects.length === opts.stream.subjects.length && opts.stream.subjects.every((s) => opts.filterSubjects.includes(s));
    const filters = wholeStream ? [] : opts.filterSubjects.map((s) => this.subject(s));
    const cfg = {
      durable_name: durable,
      ack_policy: AckPolicy.Explicit,
      deliver_policy: opts.deliver === 'new' ? DeliverPolicy.New : DeliverPolicy.All,
      ack_wait: nanos(opts.ackWaitMs ?? 30_000),
      max_deliver: opts.maxDeliver ?? 20,
      ...filterConfig(filters),
    };
    try {
      await jsm.consumers.info(stream, durable);
      await jsm.consumers.update(stream, durable, {
        ack_wait: cfg.ack_wait,
        max_deliver: cfg.max_deliver,
        ...filterConfig(filters),
      });
    } catch {
      await jsm.consumers.add(stream, cfg);
    }
    return { consumer: await this.js.consumers.get(stream, durable) };
  }

  /** Stops consumers, flushes and closes the connection. */
  async close(): Promise<void> {
    for (const c of [...this.consumers]) await c.stop();
    if (!this.nc.isClosed()) await this.nc.drain().catch(() => this.nc.close());
  }

  // ---- key-value (NATS KV) ------------------------------------------------

  /**
   * A NATS KV bucket in the deployment namespace (created when absent). With `ttlMs`,
   * every entry expires that long after its last write: `create` then `update` with
   * the revision read is an atomic compare-and-set with a time limit (a lease).
   */
  async kv(bucket: string, opts: { ttlMs?: number } = {}): Promise<BusKv> {
    const name = wireStreamName(this.namespace, { name: bucket });
    if (!/^[A-Za-z0-9_-]+$/.test(name)) throw new Error(`invalid KV bucket name "${name}"`);
    const kv = await this.js.views.kv(name, { history: 1, ttl: opts.ttlMs ?? 0, replicas: this.streamReplicas });
    if (opts.ttlMs !== undefined) {
      // An existing bucket keeps the TTL it was created with: apply a changed one.
      const { streamInfo } = await kv.status();
      if (streamInfo.config.max_age !== nanos(opts.ttlMs)) await (await this.jsm()).streams.update(streamInfo.config.name, { ...streamInfo.config, max_age: nanos(opts.ttlMs) });
    }
    const isConflict = (e: unknown) => /wrong last sequence|key exists/i.test((e as Error)?.message ?? '');
    return {
      get: async (key) => {
        const e = await kv.get(key);
        return e && e.operation === 'PUT' ? { value: e.value, revision: e.revision } : undefined;
      },
      create: async (key, value) => {
        try {
          return await kv.create(key, value);
        } catch (e) {
          if (isConflict(e)) return undefined;
          throw e;
        }
      },
      update: async (key, value, revision) => {
        try {
          return await kv.update(key, value, revision);
        } catch (e) {
          if (isConflict(e)) return undefined;
          throw e;
        }
      },
      delete: async (key) => {
        await kv.delete(key);
      },
      destroy: async () => {
        await kv.destroy();
      },
    };
  }

}
