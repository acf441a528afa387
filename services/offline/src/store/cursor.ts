// Paging cursors: opaque to the gateway, the (arrival time, seq) of the last item sent.

/** Position after which the next page starts. */
export interface Cursor {
  arrivedAt: Date;
  seq: string;
}

/** Encodes a cursor for a reply. */
export function encodeCursor(c: Cursor): string {
  return Buffer.from(JSON.stringify([c.arrivedAt.toISOString(), c.seq]), 'utf8').toString('base64url');
}

/** Decodes a cursor from a request; undefined when it is not one of ours. */
export function decodeCursor(s: string): Cursor | undefined {
  try {
    const v = JSON.parse(Buffer.from(s, 'base64url').toString('utf8'));
    if (!Array.isArray(v) || v.length !== 2 || typeof v[0] !== 'string' || typeof v[1] !== 'string' || !/^\d{1,19}$/.test(v[1])) return undefined;
    const arrivedAt = new Date(v[0]);
    return Number.isNaN(arrivedAt.getTime()) ? undefined : { arrivedAt, seq: v[1] };
  } catch {
    return undefined;
  }
}
