// Which gateway instances are alive, from their heartbeats (core NATS, every replica
// listens): sessions on an instance that went silent no longer keep accounts in use
// (it crashed without publishing session-closed). The heartbeats also carry how many
// messages each gateway routed since its previous one: one janitor replica counts each
// heartbeat (queue group), summed into the day's `messages.routed` once a minute.
import { Inject, Injectable, OnApplicationBootstrap, OnModuleDestroy } from '@nestjs/common';
import { GatewaySubjects, isHeartbeatV1, QueueGroups } from '@parley/contracts';
import { Bus, decodeJson } from '@parley/nats';
import type { Subscription } from 'nats';
import { LOGGER, Logger } from '@parley/runtime';
import type { JanitorConfig } from '../config/config';
import { JANITOR_STORE, JanitorStore } from '../store/janitor-store';
import { JANITOR_CONFIG } from '../tokens';

/** How often counted routed messages are written to the day's statistics. */
const ROUTED_FLUSH_MS = 60_000;

@Injectable()
export class GatewayInstances implements OnApplicationBootstrap, OnModuleDestroy {
  private readonly seen = new Map<string, number>();
  private startedAt = Date.now();
  private sub?: Subscription;
  private counting?: Subscription;
  private routed = 0;
  private flushTimer?: NodeJS.Timeout;

  constructor(
    private readonly bus: Bus,
    @Inject(JANITOR_CONFIG) private readonly config: JanitorConfig,
    @Inject(JANITOR_STORE) private readonly store: JanitorStore,
    @Inject(LOGGER) private readonly log: Logger,
  ) {}

  onApplicationBootstrap(): void {
    this.startedAt = Date.now();
    this.sub = this.bus.subscribeRaw(GatewaySubjects.heartbeat, (m) => {
      let v: unknown;
      try {
        v = decodeJson(m.data);
      } catch {
        return;
      }
      if (isHeartbeatV1(v)) this.seen.set(v.i, Date.now());
    });
    this.counting = this.bus.subscribeRaw(
      GatewaySubjects.heartbeat,
      (m) => {
        let v: unknown;
        try {
          v = decodeJson(m.data);
        } catch {
          return;
        }
        if (isHeartbeatV1(v) && v.m) this.routed += v.m;
      },
      { queue: QueueGroups.janitor },
    );
    this.flushTimer = setInterval(() => void this.flushRouted(), ROUTED_FLUSH_MS);
    this.flushTimer.unref();
  }

  async onModuleDestroy(): Promise<void> {
    this.sub?.unsubscribe();
    this.counting?.unsubscribe();
    clearInterval(this.flushTimer);
    await this.flushRouted();
  }

  /** Adds the messages counted since the last flush to today's `messages.routed`. */
  async flushRouted(now = new Date()): Promise<void> {
    const n = this.routed;
    if (!n) return;
    this.routed = 0;
    try {
      await this.store.addDailyCounts(now, { 'messages.routed': n });
    } catch (err) {
      this.routed += n; // kept for the next flush
      this.log.warn({ err: (err as Error).message }, 'routed-message count not stored; retried');
    }
  }

  /** Of `instances`, those silent for the instance timeout (none until this process has listened that long). */
  gone(instances: string[], now = Date.now()): string[] {
    const timeout = this.config.JANITOR_INSTANCE_TIMEOUT;
    for (const [i, at] of this.seen) if (now - at >= 10 * timeout) this.seen.delete(i); // bounded: instances long gone are forgotten
    if (now - this.startedAt < timeout) return [];
    return instances.filter((i) => now - (this.seen.get(i) ?? 0) >= timeout);
  }
}
