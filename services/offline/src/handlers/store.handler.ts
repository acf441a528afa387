// offline.cmd.store (JetStream, durable `offline-store`): commit a handed-off message, or
// refuse it and commit offline.evt.delivery-failed with the refusal (the outbox, published
// right after the commit). Acked (removed from the work queue) only after the commit, so a
// crash before it means a redelivery, never a loss; a redelivery finds the recorded outcome.
// Group commit: the hand-offs in progress at the same time (different users) share one
// transaction, five statements for the lot instead of eight per message.
import { Controller, Inject } from '@nestjs/common';
import { EventPattern, Payload } from '@nestjs/microservices';
import { LOGGER, Logger } from '@parley/runtime';
import { canonicalBare } from '@parley/xep';
import { EventEnvelope, OFFLINE_INBOX, OfflineDeliveryFailedV1, OfflineEvents, OfflineNotices, OfflineStoredNoticeV1, OfflineStoreV1, OfflineSubjects, envelope, Durables } from '@parley/contracts';
import { Bus, BusEventOptions, TerminalError } from '@parley/nats';
import { messageType } from '@parley/stanza';
import type { OfflineConfig } from '../config/config';
import { deliveryFailedEventId } from '../domain/event-id';
import { HandOff, readHandOff } from '../domain/hand-off';
import { GroupCommit } from '../store/group-commit';
import { AcceptOutcome, OFFLINE_STORE, OfflineStore, Refusal } from '../store/offline-store';
import { OFFLINE_CONFIG } from './params';

/** Store transactions at once: one commits while the next fills up. */
const STORE_PARALLEL_COMMITS = 2;

/** Durable consumer name of the store command. */
export const STORE_DURABLE = Durables.offlineStore;

@Controller()
export class StoreHandler {
  constructor(
    @Inject(OFFLINE_STORE) private readonly store: OfflineStore,
    @Inject(OFFLINE_CONFIG) private readonly config: OfflineConfig,
    @Inject(LOGGER) private readonly log: Logger,
    private readonly bus: Bus,
  ) {
    this.commits = new GroupCommit((items) => this.decide(items), { maxBatch: config.OFFLINE_STORE_CONCURRENCY, maxParallel: STORE_PARALLEL_COMMITS });
  }

  private readonly commits: GroupCommit<{ e: EventEnvelope<OfflineStoreV1>; h: HandOff }, AcceptOutcome>;

  // Retried until it succeeds (e.g. through a long database outage); unusable ones are dropped with TerminalError.
  // Concurrent across users (OFFLINE_STORE_CONCURRENCY, set per durable in offlineBus), one user's in arrival order;
  // the hand-offs in progress together are committed in one transaction (GroupCommit), each acked after its commit.
  @EventPattern(OfflineSubjects.store, {
    stream: OFFLINE_INBOX,
    durable: STORE_DURABLE,
    maxDeliver: -1,
    orderingKey: (e) => {
      const to = (e.data as OfflineStoreV1 | undefined)?.to;
      return typeof to === 'string' ? canonicalBare(to) : undefined;
    },
  } satisfies BusEventOptions)
  async handle(@Payload() e: EventEnvelope<OfflineStoreV1>): Promise<void> {
    const read = readHandOff(e, new Date());
    if (!read.ok) throw new TerminalError(`unusable offline hand-off ${String(e?.id).slice(0, 200)}: ${read.problem}`);
    const h = read.handOff;
    const outcome = await this.commits.submit({ e, h });
    // A gateway holding an available session of the user delivers it now (core NATS, best effort).
    if (outcome.kind === 'stored' && !outcome.duplicate) this.notify(h.user, h.id);
    // Never the stanza, never JIDs: ids and outcomes only (debug; one info line per transaction, see decide).
    this.log.debug({ handOffId: h.id, outcome: outcome.kind, reason: outcome.kind === 'refused' ? outcome.reason : undefined, duplicate: outcome.duplicate }, 'offline hand-off');
  }

  /** One transaction for the hand-offs in progress together (at most OFFLINE_STORE_CONCURRENCY, one per user). */
  private async decide(items: Array<{ e: EventEnvelope<OfflineStoreV1>; h: HandOff }>): Promise<AcceptOutcome[]> {
    const started = performance.now();
    const envelopes = new Map(items.map(({ e, h }) => [h.id, e]));
    const outcomes = await this.store.acceptMany(
      items.map((i) => i.h),
      { quota: this.config.OFFLINE_QUOTA, now: new Date(), refusalEvent: (r, h) => this.deliveryFailed(envelopes.get(h.id)!, h, r) },
    );
    const count = (p: (o: AcceptOutcome) => boolean) => outcomes.filter(p).length;
    const stored = count((o) => o.kind === 'stored' && !o.duplicate);
    const refused = count((o) => o.kind === 'refused' && !o.duplicate);
    this.log.info({ handOffs: items.length, stored, refused, duplicates: items.length - stored - refused, ms: Math.round(performance.now() - started) }, 'offline hand-offs committed');
    return outcomes;
  }

  private notify(user: string, id: string): void {
    try {
      this.bus.publish(OfflineNotices.stored, { u: user, id } satisfies OfflineStoredNoticeV1);
    } catch (err) {
      this.log.warn({ err: (err as Error).message }, 'stored notice not published; gateways fetch at the next login or reconnect');
    }
  }

  /** offline.evt.delivery-failed for a refusal; its id derives from the hand-off, so a repeat is dropped by JetStream. */
  private deliveryFailed(e: EventEnvelope<unknown>, h: HandOff, r: Refusal): EventEnvelope<OfflineDeliveryFailedV1> {
    const data: OfflineDeliveryFailedV1 = {
      from: h.from,
      to: h.user,
      reason: r.reason,
      detail: r.detail,
      messageType: messageType(h.type),
      stanzaId: h.stanzaId,
      at: r.at.toISOString(),
    };
    return envelope(OfflineEvents.deliveryFailed, data, { id: deliveryFailedEventId(h.id), occurredAt: r.at, causationId: h.id, correlationId: e.correlationId ?? h.id });
  }
}
