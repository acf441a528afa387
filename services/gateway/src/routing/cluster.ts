// Gateway-to-gateway routing over core NATS (nothing here is persisted):
// - each instance announces its sessions' comings, goings and presence changes;
// - a starting instance asks its peers for their sessions (scatter-gather);
// - heartbeats let peers forget an instance that died without saying goodbye;
// - stanzas for a session on another instance go to that instance's deliver subject.
import {
  DeliverCommandV1 as DeliverCommand,
  DeliverReceiptV1 as DeliverReceipt,
  GatewaySubjects,
  HeartbeatV1,
  isDeliverCommandV1,
  isDeliverReceiptV1,
  isHeartbeatV1,
  isRouteChangeV1,
  isSessionsChunkV1,
  KickReason,
  RouteChangeV1 as RouteChange,
  SessionsChunkV1 as SessionsChunk,
} from '@parley/contracts';
import { Bus, BusUnavailableError, decodeJson, encodeJson } from '@parley/nats';
import type { Logger } from 'pino';
import { Directory, ResourceState } from '../session/directory';

/** Room kept in a deliver message for its JSON framing. */
const BATCH_OVERHEAD = 1024;
/** Pending cross-gateway bytes after which the outbox is flushed at once rather than at the end of the turn. */
const FLUSH_AT_BYTES = 256 * 1024;
/** How long a route change may wait for others to share its socket write (see `announce`). */
const CHANGES_WINDOW_MS = 5;
/** Heartbeats in a row with a session count that disagrees with the directory before a peer's sessions are read again. */
const DRIFT_HEARTBEATS = 3;
/** Bytes sent to one instance and not yet answered; past it stanzas for it are given back at once. */
const MAX_IN_FLIGHT_BYTES = 64 * 1024 * 1024;

/**
 * Bytes one `[targets, xml]` entry takes in a deliver message. JSON keeps non-ASCII as
 * UTF-8 (at most 3 bytes per UTF-16 unit) and escapes only quotes, backslashes and
 * controls (XML text holds no controls but tab, CR and LF: 2 bytes each), so 3 bytes
 * per unit bounds it; only a stanza near the limit is measured exactly.
 */
function entrySize(targets: string[], xml: string, limit: number): number {
  let bound = 3 * xml.length + 16;
  for (const t of targets) bound += 3 * t.length + 3;
  if (bound < limit / 4) return bound;
  return Buffer.byteLength(JSON.stringify([targets, xml])) + 1;
}

/**
 * Why stanzas sent to another instance did not reach their sessions: `gone` (that
 * instance had no such session any more), `peer-gone` (nobody listens on the
 * instance's subject: it died), `timeout` (no receipt within the peer timeout; the
 * instance discards the batch if it arrives later), `bus-down` (NATS is away: not sent).
 */
export type UndeliveredReason = 'gone' | 'peer-gone' | 'timeout' | 'bus-down';

/** What the cluster calls back into. */
export interface ClusterCallbacks {
  /** Deliver serialized XML to local full JIDs; returns the targets that have no session here. */
  deliverLocal(fullJids: string[], xml: string): string[] | void;
  /** Stanzas for another instance that did not reach these targets: route them again, or answer with an error. */
  undelivered?(instanceId: string, entries: Array<[targets: string[], xml: string]>, reason: UndeliveredReason): void;
  /** End a local session (conflict from another instance, or account removal). */
  kickLocal(fullJid: string, reason: KickReason): void;
  /** An instance vanished; these were its resources. */
  peerGone(instanceId: string, dropped: Array<{ bare: string; state: ResourceState }>): void;
  /** Messages routed since the previous call (carried by the heartbeat, for anonymous statistics). */
  takeRouted?(): number;
  /** A re-sync brought back resources of a peer that the directory did not hold (after an outage). */
  peerBack?(instanceId: string, added: Array<{ bare: string; state: ResourceState }>): void;
}

export class Cluster {
  private readonly peers = new Map<string, number>();
  private timer?: NodeJS.Timeout;
  private readonly subs: Array<{ unsubscribe(): void }> = [];
  private started = false;
  private resyncing: Promise<void> = Promise.resolve();

  constructor(
    private readonly bus: Bus,
    private readonly directory: Directory,
    readonly instanceId: string,
    private readonly cb: ClusterCallbacks,
    private readonly log: Logger,
    private readonly opts: { heartbeatMs: number; peerTimeoutMs: number },
  ) {}

  /** Subscribes, bootstraps the directory from peers, and starts heartbeats. */
  async start(): Promise<void> {
    this.subs.push(
      this.bus.subscribeRaw(GatewaySubjects.deliver(this.instanceId), (m) => {
        const cmd = this.read(m, isDeliverCommandV1);
        if (!cmd) return;
        const receipt = this.onDeliver(cmd);
        if (receipt && m.reply) m.respond(encodeJson(receipt));
      }),
      this.bus.subscribeRaw(GatewaySubjects.sessionChanged, (m) => {
        const c = this.read(m, isRouteChangeV1);
        if (c) this.onRouteChange(c);
      }),
      this.bus.subscribeRaw(GatewaySubjects.heartbeat, (m) => {
        const h = this.read(m, isHeartbeatV1);
        if (!h || h.i === this.instanceId) return;
        const known = this.peers.has(h.i);
        this.peers.set(h.i, Date.now());
        // A peer we do not know (it came back after we timed it out, e.g. across a NATS
        // outage, or missed our bootstrap): fetch its sessions, or they stay unroutable.
        if (!known && this.started) void this.resync(h.i);
        else if (this.started) this.antiEntropy(h.i, h.n, h.d);
      }),
      this.bus.subscribeRaw(GatewaySubjects.sessionsQuery, (m) => {
        const chunks = this.snapshot();
        for (const c of chunks) m.respond(encodeJson(c));
      }),
    );
    await this.bus.flush();
    await this.bootstrap();
    this.started = true;
    this.heartbeat();
    this.timer = setInterval(() => {
      this.heartbeat();
      this.expirePeers();
    }, this.opts.heartbeatMs);
    this.timer.unref();
  }

  /** A peer's payload, validated at the edge: malformed ones are logged (subject only) and dropped. */
  private read<T>(m: { subject: string; data: Uint8Array }, accept: (v: unknown) => v is T): T | undefined {
    let v: unknown;
    try {
      v = decodeJson<unknown>(m.data);
    } catch {
      v = undefined;
    }
    if (accept(v)) return v;
    this.log.warn({ subject: this.bus.logicalSubject(m.subject) }, 'malformed gateway-to-gateway payload dropped');
    return undefined;
  }

  private snapshot(): SessionsChunk[] {
    const all: SessionsChunk['s'] = [];
    for (const s of this.directory.localSessions()) all.push([s.bare, s.jid.resource, s.priority, s.available, this.directory.resource(s.bare, s.jid.resource)?.carbons ?? false]);
    const chunks: SessionsChunk[] = [];
    for (let i = 0; i < all.length; i += 2000) chunks.push({ i: this.instanceId, s: all.slice(i, i + 2000) });
    if (!chunks.length) chunks.push({ i: this.instanceId, s: [] });
    return chunks;
  }

  private async bootstrap(only?: string, announce = false): Promise<void> {
    try {
      const replies = await this.bus.requestMany(GatewaySubjects.sessionsQuery, { i: this.instanceId }, { maxWaitMs: 400, accept: isSessionsChunkV1 });
      const added = new Map<string, Array<{ bare: string; state: ResourceState }>>();
      const seen = new Map<string, Set<string>>();
      for (const chunk of replies) {
        if (chunk.i === this.instanceId || (only && chunk.i !== only)) continue;
        this.peers.set(chunk.i, Date.now());
        let held = seen.get(chunk.i);
        if (!held) seen.set(chunk.i, (held = new Set()));
        for (const [b, r, p, a, c] of chunk.s) {
          const state: ResourceState = { resource: r, instanceId: chunk.i, priority: p, available: a, carbons: c };
          if (announce && !this.directory.resource(b, r)) added.set(chunk.i, [...(added.get(chunk.i) ?? []), { bare: b, state }]);
          this.directory.put(b, state);
          held.add(`${b}/${r}`);
        }
      }
      if (announce) {
        // a re-sync also forgets what a peer no longer holds (its 'down' was missed)
        for (const [instance, held] of seen) {
          const stale = this.directory.dropInstance(instance, (bare, resource) => !held.has(`${bare}/${resource}`));
          if (stale.length) this.cb.peerGone(instance, stale);
        }
      }
      for (const [instance, list] of added) this.cb.peerBack?.(instance, list);
    } catch (e) {
      this.log.debug({ err: e }, 'no peer gateways answered the sessions query');
    }
  }

  /**
   * Re-reads the peers' sessions (one peer's, or every peer's after this process's own
   * bus connection came back): route changes published while we could not hear them are
   * not replayed by NATS. One re-sync at a time; another request during it runs after it.
   */
  resync(only?: string): Promise<void> {
    const run = async () => {
      await this.bootstrap(only, true);
      this.log.info({ peer: only ?? 'all' }, 'directory re-synchronised from peer gateways');
    };
    this.resyncing = this.resyncing.then(run, run);
    return this.resyncing;
  }

  /** Heartbeats in a row on which a peer's own session count differed from what the directory holds for it. */
  private readonly drift = new Map<string, number>();

  /**
   * Anti-entropy: each heartbeat carries the sender's session count and a digest of its
   * sessions' full JIDs. A directory that disagrees with them on DRIFT_HEARTBEATS heartbeats in a row (one may cross a route
   * change in flight) missed route changes — lost while the bus hiccupped — and fetches
   * that peer's sessions again.
   */
  private antiEntropy(peer: string, theirs: number, digest: number | undefined): void {
    const ours = this.directory.summaryOf(peer);
    if (ours.n === theirs && (digest === undefined || ours.d === digest)) {
      this.drift.delete(peer);
      return;
    }
    const n = (this.drift.get(peer) ?? 0) + 1;
    if (n < DRIFT_HEARTBEATS) {
      this.drift.set(peer, n);
      return;
    }
    this.drift.delete(peer);
    this.resyncs += 1;
    this.log.warn({ peer, theirs, ours: ours.n }, 'directory out of step with a peer gateway; re-reading its sessions');
    void this.resync(peer);
  }

  /** Anti-entropy re-syncs since start (a metric). */
  resyncs = 0;

  private heartbeat(): void {
    this.flushChanges();
    const own = this.directory.summaryOf(this.instanceId);
    this.bus.publish(GatewaySubjects.heartbeat, { i: this.instanceId, n: own.n, d: own.d, m: this.cb.takeRouted?.() ?? 0 } satisfies HeartbeatV1);
  }

  private expirePeers(): void {
    const now = Date.now();
    for (const [id, seen] of this.peers) {
      if (now - seen > this.opts.peerTimeoutMs) {
        this.peers.delete(id);
        const dropped = this.directory.dropInstance(id);
        this.log.warn({ instance: id, sessions: dropped.length }, 'peer gateway silent; its sessions are gone');
        this.cb.peerGone(id, dropped);
      }
    }
  }

  private onRouteChange(c: RouteChange): void {
    if (c.i === this.instanceId) return;
    this.peers.set(c.i, Date.now());
    if (c.op === 'down') this.directory.remove(c.b, c.r, c.i);
    else this.directory.put(c.b, { resource: c.r, instanceId: c.i, priority: c.p ?? 0, available: !!c.a, carbons: !!c.c });
  }

  /**
   * Delivers a batch (answering which targets had no session), or ends a session. A
   * batch older than the peer timeout is dropped unanswered: its sender stopped waiting
   * and routed it again.
   */
  private onDeliver(cmd: DeliverCommand): DeliverReceipt | undefined {
    if ('kick' in cmd) {
      this.cb.kickLocal(cmd.kick, cmd.reason);
      return undefined;
    }
    if (cmd.t !== undefined && Date.now() - cmd.t > this.opts.peerTimeoutMs) {
      this.log.warn({ stanzas: cmd.b.length }, 'cross-gateway batch arrived after its sender gave up; dropped (the sender routed it again)');
      return undefined;
    }
    const g: DeliverReceipt['g'] = [];
    cmd.b.forEach(([targets, xml], i) => {
      const gone = this.cb.deliverLocal(targets, xml);
      if (gone) for (const full of gone) g.push([i, full]);
    });
    return { g };
  }

  /** Tells peers about a local resource (bound, presence changed, carbons toggled). */
  announceUp(bare: string, st: ResourceState): void {
    this.announce({ i: this.instanceId, b: bare, r: st.resource, op: 'up', p: st.priority, a: st.available, c: st.carbons });
  }

  /** Tells peers a local resource is gone. */
  announceDown(bare: string, resource: string): void {
    this.announce({ i: this.instanceId, b: bare, r: resource, op: 'down' });
  }

  /**
   * Route changes wait up to {@link CHANGES_WINDOW_MS} and leave together, in order: nats.js
   * then writes them to its socket once (a login storm paid one write per bind and one
   * per close). Anything else this gateway sends a peer — a stanza batch, a kick, a
   * heartbeat — flushes them first, so a peer never hears from a resource before it
   * hears that the resource exists. Each stays its own message, so gateways of the
   * previous version read them unchanged.
   */
  private announce(c: RouteChange): void {
    this.changes.push(c);
    this.changesTimer ??= setTimeout(() => this.flush(), CHANGES_WINDOW_MS);
  }

  private changes: RouteChange[] = [];
  private changesTimer?: NodeJS.Timeout;

  private flushChanges(): void {
    if (this.changesTimer) clearTimeout(this.changesTimer);
    this.changesTimer = undefined;
    if (!this.changes.length) return;
    const changes = this.changes;
    this.changes = [];
    for (const c of changes) this.bus.publish(GatewaySubjects.sessionChanged, c);
  }

  private scheduleFlush(): void {
    if (this.flushScheduled) return;
    this.flushScheduled = true;
    setImmediate(() => this.flush());
  }

  /**
   * Sends serialized XML to full JIDs held by another instance. Stanzas for one
   * instance within one event-loop turn travel as one NATS message (in order), which
   * cuts per-message overhead on both gateways and on NATS under load; a batch never
   * grows past what one NATS message may carry. Returns false, sending nothing, for a
   * stanza that alone is too large for the bus (escaping can make a stanza that was
   * within MAX_STANZA_SIZE as received several times larger): the caller bounces it.
   */
  deliverRemote(instanceId: string, fullJids: string[], xml: string): boolean {
    const size = entrySize(fullJids, xml, this.maxPayload());
    if (size > this.maxPayload() - BATCH_OVERHEAD) return false;
    let batch = this.outbox.get(instanceId);
    if (batch && batch.bytes + size > this.maxPayload() - BATCH_OVERHEAD) {
      this.send(instanceId, batch.entries);
      batch = undefined;
    }
    if (!batch) this.outbox.set(instanceId, (batch = { entries: [], bytes: 0 }));
    batch.entries.push([fullJids, xml]);
    batch.bytes += size;
    this.outboxBytes += size;
    if (this.outboxBytes > FLUSH_AT_BYTES) this.flush();
    else this.scheduleFlush();
    return true;
  }

  private readonly outbox = new Map<string, { entries: Array<[string[], string]>; bytes: number }>();
  private outboxBytes = 0;
  private flushScheduled = false;

  /** The largest NATS message the server accepts. */
  private maxPayload(): number {
    return this.bus.maxPayload();
  }

  private flush(): void {
    this.flushScheduled = false;
    this.flushChanges();
    this.outboxBytes = 0;
    const batches = [...this.outbox];
    this.outbox.clear();
    for (const [instance, b] of batches) this.send(instance, b.entries);
  }

  /** Bytes of batches sent and not yet answered, per instance (bounded: {@link MAX_IN_FLIGHT_BYTES}). */
  private readonly inFlight = new Map<string, number>();

  /**
   * Sends one batch as a request and waits for the instance's receipt: targets it no
   * longer holds, an instance that died (no responders: NATS knows at once when its
   * connection dropped) or one that does not answer within the peer timeout give the
   * stanzas back to the caller (`undelivered`), so none is lost on the way. While the
   * bus is away nothing is sent (the client library would buffer it without a bound).
   */
  private send(instance: string, entries: Array<[string[], string]>): void {
    if (!this.bus.isConnected()) return this.giveBack(instance, entries, 'bus-down');
    const payload = encodeJson({ b: entries, t: Date.now() } satisfies DeliverCommand);
    const pending = this.inFlight.get(instance) ?? 0;
    if (pending + payload.length > MAX_IN_FLIGHT_BYTES) return this.giveBack(instance, entries, 'timeout');
    this.inFlight.set(instance, pending + payload.length);
    this.bus.requestRaw(GatewaySubjects.deliver(instance), payload, this.opts.peerTimeoutMs).then(
      (data) => {
        this.release(instance, payload.length);
        let receipt: unknown;
        try {
          receipt = decodeJson(data);
        } catch {
          receipt = undefined;
        }
        if (!isDeliverReceiptV1(receipt)) return;
        if (!receipt.g.length) return;
        const back = new Map<number, string[]>();
        for (const [i, full] of receipt.g) if (entries[i]?.[0].includes(full)) back.set(i, [...(back.get(i) ?? []), full]);
        this.giveBack(instance, [...back].map(([i, targets]) => [targets, entries[i][1]]), 'gone');
      },
      (err) => {
        this.release(instance, payload.length);
        if (err instanceof BusUnavailableError) {
          if (err.reason === 'no-responders') this.forgetPeer(instance);
          this.giveBack(instance, entries, err.reason === 'no-responders' ? 'peer-gone' : 'timeout');
        } else {
          this.log.error({ err, instance, stanzas: entries.length }, 'cross-gateway delivery batch failed');
          this.giveBack(instance, entries, 'timeout');
        }
      },
    );
  }

  private release(instance: string, bytes: number): void {
    const left = (this.inFlight.get(instance) ?? bytes) - bytes;
    if (left > 0) this.inFlight.set(instance, left);
    else this.inFlight.delete(instance);
  }

  private giveBack(instance: string, entries: Array<[string[], string]>, reason: UndeliveredReason): void {
    if (!entries.length) return;
    this.undeliveredCount += entries.length;
    if (!this.cb.undelivered) {
      this.log.warn({ instance, stanzas: entries.length, reason }, 'cross-gateway stanzas not delivered');
      return;
    }
    try {
      this.cb.undelivered(instance, entries, reason);
    } catch (err) {
      this.log.error({ err, instance, reason }, 'routing undelivered cross-gateway stanzas again failed');
    }
  }

  /** Stanzas handed back as undelivered since start (a metric). */
  undeliveredCount = 0;

  /** An instance whose subject has no listener any more: its sessions are gone now, not at the heartbeat timeout. */
  private forgetPeer(instance: string): void {
    this.peers.delete(instance);
    const dropped = this.directory.dropInstance(instance);
    if (!dropped.length) return;
    this.log.warn({ instance, sessions: dropped.length }, 'peer gateway no longer listening; its sessions are gone');
    this.cb.peerGone(instance, dropped);
  }

  /** Asks another instance to end one of its sessions (after any stanzas queued for it). */
  kickRemote(instanceId: string, fullJid: string, reason: KickReason): void {
    this.flush();
    try {
      this.bus.publishRaw(GatewaySubjects.deliver(instanceId), encodeJson({ kick: fullJid, reason } satisfies DeliverCommand));
    } catch (err) {
      this.log.error({ err, instance: instanceId }, 'cross-gateway kick not published');
    }
  }

  async stop(): Promise<void> {
    this.flush();
    if (this.timer) clearInterval(this.timer);
    for (const s of this.subs) s.unsubscribe();
  }
}
