// Which gateway instances are alive, from their heartbeats (core NATS, every replica
// listens): sessions on an instance that went silent no longer keep accounts in use
// (it crashed without publishing session-closed).
import { Inject, Injectable, OnApplicationBootstrap, OnModuleDestroy } from '@nestjs/common';
import { GatewaySubjects, isHeartbeatV1 } from '@parley/contracts';
import { Bus, decodeJson } from '@parley/nats';
import type { Subscription } from 'nats';
import type { JanitorConfig } from '../config/config';
import { JANITOR_CONFIG } from '../tokens';

@Injectable()
export class GatewayInstances implements OnApplicationBootstrap, OnModuleDestroy {
  private readonly seen = new Map<string, number>();
  private startedAt = Date.now();
  private sub?: Subscription;

  constructor(
    private readonly bus: Bus,
    @Inject(JANITOR_CONFIG) private readonly config: JanitorConfig,
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
  }

  onModuleDestroy(): void {
    this.sub?.unsubscribe();
  }

  /** Of `instances`, those silent for the instance timeout (none until this process has listened that long). */
  gone(instances: string[], now = Date.now()): string[] {
    const timeout = this.config.JANITOR_INSTANCE_TIMEOUT;
    for (const [i, at] of this.seen) if (now - at >= 10 * timeout) this.seen.delete(i); // bounded: instances long gone are forgotten
    if (now - this.startedAt < timeout) return [];
    return instances.filter((i) => now - (this.seen.get(i) ?? 0) >= timeout);
  }
}
