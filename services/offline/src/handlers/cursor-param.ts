// The `after` parameter of paged queries.
import { ReplyException } from '@parley/nats';
import { Cursor, decodeCursor } from '../store/cursor';

/** The decoded `after` cursor, undefined when absent, or `bad-request` when it is not ours. */
export function optionalCursor(v: unknown): Cursor | undefined {
  if (v === undefined || v === null || v === '') return undefined;
  const c = typeof v === 'string' ? decodeCursor(v) : undefined;
  if (!c) throw ReplyException.of('bad-request', 'after is not a cursor from a previous page');
  return c;
}
