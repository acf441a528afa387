// Deterministic event ids: re-publishing the same fact yields the same id, so JetStream
// and consumers drop the repeat.
import { createHash } from 'node:crypto';

/** A UUID (version 5 layout) derived from `name`; the same name always gives the same id. */
export function derivedEventId(name: string): string {
  const h = createHash('sha256').update(name).digest();
  h[6] = (h[6] & 0x0f) | 0x50;
  h[8] = (h[8] & 0x3f) | 0x80;
  const x = h.subarray(0, 16).toString('hex');
  return `${x.slice(0, 8)}-${x.slice(8, 12)}-${x.slice(12, 16)}-${x.slice(16, 20)}-${x.slice(20)}`;
}

/** The id of the `offline.evt.delivery-failed` event about hand-off `handOffId`. */
export function deliveryFailedEventId(handOffId: string): string {
  return derivedEventId(`offline.evt.delivery-failed/${handOffId}`);
}
