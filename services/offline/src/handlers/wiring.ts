// The one place subjects meet handlers: provisions the streams, serves every
// request/reply subject (queue group `offline`, so replicas share the load) and starts
// every durable consumer; stops them all, waiting for work in progress, on shutdown.
import { Inject, Injectable, OnApplicationBootstrap, OnModuleDestroy, OnModuleInit } from '@nestjs/common';
import { GATEWAY_EVENTS, OFFLINE_EVENTS, OFFLINE_INBOX } from '@parley/contracts';
import { Bus, ConsumerHandle } from '@parley/nats';
import type { Subscription } from 'nats';
import { EventHandler, Logger, PINO, RequestHandler } from './tokens';

/** Injection token: every {@link RequestHandler}. */
export const REQUEST_HANDLERS = Symbol('REQUEST_HANDLERS');
/** Injection token: every {@link EventHandler}. */
export const EVENT_HANDLERS = Symbol('EVENT_HANDLERS');

/** Queue group of the offline service's responders. */
export const QUEUE = 'offline';

@Injectable()
export class BusWiring implements OnModuleInit, OnApplicationBootstrap, OnModuleDestroy {
  private readonly subscriptions: Subscription[] = [];
  private readonly consumers: ConsumerHandle[] = [];
  private readonly inflight = new Set<Promise<unknown>>();

  constructor(
    @Inject(Bus) private readonly bus: Bus,
    @Inject(PINO) private readonly log: Logger,
    @Inject(REQUEST_HANDLERS) private readonly requests: RequestHandler[],
    @Inject(EVENT_HANDLERS) private readonly events: EventHandler[],
  ) {}

  async onModuleInit(): Promise<void> {
    await this.bus.ensureStreams([OFFLINE_INBOX, OFFLINE_EVENTS, GATEWAY_EVENTS]);
  }

  async onApplicationBootstrap(): Promise<void> {
    for (const h of this.requests) {
      this.subscriptions.push(
        this.bus.serve(
          h.subject,
          (q) => {
            const p = h.handle(q);
            this.inflight.add(p);
            return p.finally(() => this.inflight.delete(p));
          },
          { queue: QUEUE },
        ),
      );
    }
    for (const h of this.events) {
      this.consumers.push(
        await this.bus.consume({ stream: h.stream, durable: h.durable, filterSubjects: h.filterSubjects, maxDeliver: h.maxDeliver, handler: (e) => h.handle(e) }),
      );
    }
    await this.bus.nc.flush();
    this.log.info({ subjects: this.requests.map((h) => h.subject), consumers: this.events.map((h) => h.durable) }, 'offline service listening');
  }

  async onModuleDestroy(): Promise<void> {
    for (const s of this.subscriptions.splice(0)) s.unsubscribe();
    for (const c of this.consumers.splice(0)) await c.stop();
    await Promise.allSettled([...this.inflight]);
  }
}
