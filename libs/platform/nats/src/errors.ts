// Errors of the bus, each mapped once: responders throw ReplyException on purpose;
// callers get BusReplyError (the responder said no) or BusUnavailableError (nobody
// answered in time); consumers throw TerminalError to drop a message for good.
import type { ReplyError } from '@parley/contracts';

/** Thrown by a responder to answer with a defined XMPP condition. */
export class ReplyException extends Error {
  constructor(readonly error: ReplyError) {
    super(error.text ?? error.condition);
    this.name = 'ReplyException';
  }
  static of(condition: string, text?: string, type?: ReplyError['type']): ReplyException {
    return new ReplyException({ condition, text, type });
  }
}

/** The responder answered with an error. */
export class BusReplyError extends Error {
  constructor(
    readonly subject: string,
    readonly error: ReplyError,
  ) {
    super(`${subject}: ${error.condition}${error.text ? ` (${error.text})` : ''}`);
    this.name = 'BusReplyError';
  }
}

/** No responder, or none in time: the owning service is down or overloaded. */
export class BusUnavailableError extends Error {
  constructor(
    readonly subject: string,
    readonly reason: 'no-responders' | 'timeout',
    options?: { cause?: unknown },
  ) {
    super(`${subject}: ${reason}`, options);
    this.name = 'BusUnavailableError';
  }
}

/** Thrown by an event handler for a message that can never succeed: it is terminated, not retried. */
export class TerminalError extends Error {
  constructor(message: string, options?: { cause?: unknown }) {
    super(message, options);
    this.name = 'TerminalError';
  }
}
