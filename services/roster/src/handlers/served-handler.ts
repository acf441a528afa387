// A request/reply handler: one subject, served in the `roster` queue group from
// application bootstrap (after the database is migrated) until module destroy.
import { OnApplicationBootstrap, OnModuleDestroy } from '@nestjs/common';
import type { Subscription } from 'nats';
import { Bus, ReplyException } from '@parley/nats';

/** The queue group every roster replica joins. */
export const ROSTER_QUEUE = 'roster';

export abstract class ServedHandler<Q, R> implements OnApplicationBootstrap, OnModuleDestroy {
  abstract readonly subject: string;
  private sub?: Subscription;

  constructor(protected readonly bus: Bus) {}

  /** Answers one request; throw ReplyException for an XMPP error condition. */
  abstract handle(query: Q): Promise<R>;

  onApplicationBootstrap(): void {
    this.sub = this.bus.serve<Q, R>(
      this.subject,
      (q) => {
        if (typeof q !== 'object' || q === null) throw ReplyException.of('bad-request', 'the request must be a JSON object');
        return this.handle(q);
      },
      { queue: ROSTER_QUEUE },
    );
  }

  onModuleDestroy(): void {
    this.sub?.unsubscribe();
    this.sub = undefined;
  }
}
