// What every handler shares: a start/stop life cycle run by the ArchiveWorker, and the
// one place that turns domain errors into XMPP conditions on the bus.
import { ReplyException } from '@parley/nats';
import { ArchiveDomainError } from '../domain/errors';

/** A subscription, consumer or timer the worker starts after the streams exist. */
export interface ArchiveHandler {
  start(): Promise<void>;
  stop(): Promise<void>;
}

/** Injection token of the pino logger provided by RuntimeModule. */
export const LOGGER = 'PINO';

/** Minimal logger shape (pino). Never pass message content or passwords. */
export interface Log {
  info(obj: object, msg?: string): void;
  warn(obj: object, msg?: string): void;
  error(obj: object, msg?: string): void;
}

/** Runs `fn`, answering a domain error with its XMPP condition. */
export async function answering<T>(fn: () => Promise<T> | T): Promise<T> {
  try {
    return await fn();
  } catch (e) {
    if (e instanceof ArchiveDomainError) throw ReplyException.of(e.condition, e.message);
    throw e;
  }
}
