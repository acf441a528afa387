// The Nest enhancers every bus service shares, registered once by runService:
// one exception filter (domain errors → replies), one pipe (request payloads must
// be JSON objects). Per-subject metrics and logs are the interceptor in @parley/runtime.
import { ArgumentsHost, Catch, Injectable, PipeTransform, RpcExceptionFilter } from '@nestjs/common';
import { DomainError } from '@parley/contracts';
import { Observable, throwError } from 'rxjs';
import { ReplyException, TerminalError } from './errors';
import { BusContext } from './transport';

/** Conditions that say the input itself is unusable: an event carrying one is terminated, not retried. */
const POISON = new Set(['bad-request', 'jid-malformed', 'not-acceptable']);

/**
 * The one mapping from a handler's failure to what the bus does with it.
 * Requests: a {@link DomainError} or {@link ReplyException} becomes that reply error;
 * anything else stays an unexpected failure (logged, answered `internal-server-error`).
 * Events: an unusable input is terminated ({@link TerminalError}); anything else is
 * rethrown as is, so the consumer naks it and it is redelivered with backoff.
 */
@Catch()
export class BusExceptionFilter implements RpcExceptionFilter<unknown> {
  catch(e: unknown, host: ArgumentsHost): Observable<never> {
    const ctx = host.switchToRpc().getContext<unknown>();
    const reply = e instanceof DomainError ? new ReplyException(e.toReplyError()) : e instanceof ReplyException ? e : undefined;
    if (ctx instanceof BusContext && ctx.getKind() === 'event') {
      if (reply && POISON.has(reply.error.condition)) return throwError(() => new TerminalError(`unusable event on ${ctx.getSubject()}: ${reply.message}`, { cause: e }));
      return throwError(() => e);
    }
    return throwError(() => reply ?? e);
  }
}

/** Every request and event payload is a JSON object; anything else is answered `bad-request` (events: terminated). */
@Injectable()
export class ObjectPayloadPipe implements PipeTransform {
  transform(value: unknown): unknown {
    if (value instanceof BusContext) return value; // global pipes also see @Ctx()
    if (typeof value !== 'object' || value === null || Array.isArray(value)) throw ReplyException.of('bad-request', 'the payload must be a JSON object');
    return value;
  }
}
