// Per-subject metrics and logs of every bus handler: a latency histogram and an
// outcome counter by subject, and a debug line per message (subject, kind, outcome,
// duration — never the payload).
import { CallHandler, ExecutionContext, Inject, Injectable, NestInterceptor } from '@nestjs/common';
import { BusContext } from '@parley/nats';
import type { Logger } from 'pino';
import { Histogram } from 'prom-client';
import { Observable, tap } from 'rxjs';
import { Health } from './health';

@Injectable()
export class BusMetricsInterceptor implements NestInterceptor {
  private readonly seconds: Histogram<'subject' | 'kind' | 'outcome'>;

  constructor(
    @Inject(Health) health: Health,
    @Inject('PINO') private readonly log: Logger,
  ) {
    this.seconds = new Histogram({
      name: 'bus_handler_seconds',
      help: 'Time a bus handler took, by subject, kind (request or event) and outcome (ok or error).',
      labelNames: ['subject', 'kind', 'outcome'],
      buckets: [0.0005, 0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5],
      registers: [health.metrics],
    });
  }

  intercept(context: ExecutionContext, next: CallHandler): Observable<unknown> {
    const ctx = context.switchToRpc().getContext<unknown>();
    if (!(ctx instanceof BusContext)) return next.handle();
    const subject = ctx.getSubject();
    const kind = ctx.getKind();
    const start = process.hrtime.bigint();
    const done = (outcome: 'ok' | 'error', err?: unknown) => {
      const s = Number(process.hrtime.bigint() - start) / 1e9;
      this.seconds.observe({ subject, kind, outcome }, s);
      if (outcome === 'error') this.log.debug({ subject, kind, ms: s * 1000, err: (err as Error)?.message }, 'bus handler failed');
      else if (this.log.isLevelEnabled('debug')) this.log.debug({ subject, kind, ms: s * 1000 }, 'bus handler done');
    };
    return next.handle().pipe(tap({ complete: () => done('ok'), error: (e) => done('error', e) }));
  }
}
