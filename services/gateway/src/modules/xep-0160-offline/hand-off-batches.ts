// Offline hand-offs leave the gateway in batches: every hand-off of one event-loop turn
// (a read of the senders' sockets, say) goes in one `offline.cmd.store` version 2
// envelope, so JetStream stores, acks and delivers one message for many, and the offline
// service decides them in one transaction. Each hand-off's promise settles with its
// batch's ack; batches are published in the order they were opened, on one connection,
// so they reach the stream (and the offline service) in arrival order.
import { envelope, MAX_STORE_HAND_OFFS, OfflineHandOffV2, OfflineStoreV2, OfflineSubjects } from '@parley/contracts';
import type { ModuleBus } from '../../host';

/** Room kept in a NATS message for the envelope around the hand-offs and the JetStream headers. */
const ENVELOPE_OVERHEAD = 4096;

/**
 * Bytes a hand-off takes in the envelope's JSON, bounded above: JSON keeps non-ASCII as
 * UTF-8 (at most 3 bytes per UTF-16 unit) and escapes only quotes, backslashes and
 * controls (XML holds no controls but tab, CR and LF: 2 bytes each).
 */
export function handOffSize(h: OfflineHandOffV2): number {
  let units = h.stanza.length + h.to.length + h.from.length + h.id.length + h.arrivedAt.length + h.type.length + (h.stanzaId?.length ?? 0);
  units *= 3;
  return units + 160; // field names, quotes, booleans
}

interface Batch {
  handOffs: OfflineHandOffV2[];
  bytes: number;
  sent: boolean;
  acked: Promise<void>;
  settle: { resolve: () => void; reject: (e: unknown) => void };
}

export class HandOffBatches {
  private open: Batch | undefined;

  constructor(private readonly bus: Pick<ModuleBus, 'publishEvent' | 'maxPayload'>) {}

  /**
   * Queues a hand-off in this turn's batch; resolves once JetStream holds it, rejects
   * when the batch's publish failed (nothing of it was stored: the caller answers the
   * sender). A batch is full at {@link MAX_STORE_HAND_OFFS} hand-offs or when the next
   * one would not fit in one NATS message: it leaves at once and a new one opens.
   */
  add(h: OfflineHandOffV2): Promise<void> {
    const size = handOffSize(h);
    const room = this.bus.maxPayload() - ENVELOPE_OVERHEAD;
    let b = this.open;
    if (b && (b.handOffs.length >= MAX_STORE_HAND_OFFS || b.bytes + size > room)) {
      this.send(b);
      b = undefined;
    }
    if (!b) {
      const batch = (b = this.open = this.newBatch());
      setImmediate(() => this.send(batch));
    }
    b.handOffs.push(h);
    b.bytes += size;
    return b.acked;
  }

  private newBatch(): Batch {
    let settle!: Batch['settle'];
    const acked = new Promise<void>((resolve, reject) => (settle = { resolve, reject }));
    // every hand-off's caller handles the rejection; this keeps an unobserved one from crashing the process
    acked.catch(() => undefined);
    return { handOffs: [], bytes: 0, sent: false, acked, settle };
  }

  private send(b: Batch): void {
    if (b.sent) return;
    b.sent = true;
    if (this.open === b) this.open = undefined;
    let published: Promise<void>;
    try {
      published = this.bus.publishEvent(envelope<OfflineStoreV2>(OfflineSubjects.store, { handOffs: b.handOffs }, { version: 2 }));
    } catch (e) {
      published = Promise.reject(e);
    }
    published.then(b.settle.resolve, b.settle.reject);
  }
}
