// Deterministic event ids: re-publishing the same fact yields the same id, so JetStream
// and consumers drop the repeat.
import { derivedEventId } from '@parley/contracts';

export { derivedEventId };

/** The id of the `offline.evt.delivery-failed` event about hand-off `handOffId`. */
export function deliveryFailedEventId(handOffId: string): string {
  return derivedEventId(`offline.evt.delivery-failed/${handOffId}`);
}
