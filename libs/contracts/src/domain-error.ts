// A failure a service reports on purpose, carrying the RFC 6120 condition its reply
// gets. Services' domain errors extend it; the one bus exception filter
// (@parley/nats BusExceptionFilter) turns it into a `Reply` error.
import type { ReplyError } from './envelope';

export class DomainError extends Error {
  constructor(
    readonly condition: string,
    message: string,
    readonly type?: ReplyError['type'],
  ) {
    super(message);
    this.name = 'DomainError';
  }

  /** The reply error this failure is answered with. */
  toReplyError(): ReplyError {
    return { condition: this.condition, text: this.message, type: this.type };
  }
}
