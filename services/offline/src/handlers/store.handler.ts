// offline.cmd.store (JetStream, durable `offline-store`): commit a handed-off message, or
// refuse it and commit offline.evt.delivery-failed with the refusal (the outbox, published
// right after the commit). Acked (removed from the work queue) only after the commit, so a
// crash before it means a redelivery, never a loss; a redelivery finds the recorded outcome.
// Group commit: hand-offs come in batches (Bus.consumeBatches) decided in one transaction
// of five statements for the lot, instead of eight statements per message; a version 2
// envelope carries a gateway's hand-offs of one event-loop turn (one JetStream message,
// one ack for many), and is acked once all of its hand-offs are committed.
import { Controller, Inject } from '@nestjs/common';
import { EventPattern, Payload } from '@nestjs/microservices';
import { LOGGER, Logger } from '@parley/runtime';
import { canonicalBare } from '@parley/xep';
import { EventEnvelope, OFFLINE_INBOX, OfflineDeliveryFailedV1, OfflineEvents, OfflineNotices, OfflineStoredNoticeV1, OfflineStoreV1, OfflineSubjects, envelope, Durables } from '@parley/contracts';
import { BatchOutcome, Bus, BusEventOptions, EventBatch, TerminalError } from '@parley/nats';
import { messageType } from '@parley/stanza';
import type { OfflineConfig } from '../config/config';
import { deliveryFailedEventId } from '../domain/event-id';
import { HandOff, readHandOffs } from '../domain/hand-off';
import { AcceptOutcome, OFFLINE_STORE, OfflineStore, Refusal } from '../store/offline-store';
import { OFFLINE_CONFIG } from './params';

/** A readable hand-off of a batch, with the place of its envelope in it. */
interface Item {
  i: number;
  e: EventEnvelope<unknown>;
  h: HandOff;
}

/**
 * The lane of every version 2 envelope: they mix recipients, so one lane keeps each
 * recipient's hand-offs in stream order (version 1 envelopes go by recipient).
 */
const MANY_LANE = 'offline.cmd.store v2';

/** Durable consumer name of the store command. */
export const STORE_DURABLE = Durables.offlineStore;

@Controller()
export class StoreHandler {
  constructor(
    @Inject(OFFLINE_STORE) private readonly store: OfflineStore,
    @Inject(OFFLINE_CONFIG) private readonly config: OfflineConfig,
    @Inject(LOGGER) private readonly log: Logger,
    private readonly bus: Bus,
  ) {}

  // Retried until it succeeds (e.g. through a long database outage); unusable ones are dropped with TerminalError.
  // Batches of up to OFFLINE_STORE_BATCH in stream order, OFFLINE_STORE_CONCURRENCY at once (set in offlineBus);
  // one user's hand-offs always on the same lane, so in arrival order and never in two transactions at once.
  @EventPattern(OfflineSubjects.store, {
    stream: OFFLINE_INBOX,
    durable: STORE_DURABLE,
    maxDeliver: -1,
    batch: { max: 100, lanes: 2 },
    orderingKey: (e) => {
      if (e.version === 2) return MANY_LANE;
      const to = (e.data as OfflineStoreV1 | undefined)?.to;
      return typeof to === 'string' ? canonicalBare(to) : undefined;
    },
  } satisfies BusEventOptions)
  async handle(@Payload() batch: EventBatch<unknown>): Promise<BatchOutcome[]> {
    const now = new Date();
    const outcomes: BatchOutcome[] = batch.events.map(() => undefined);
    const items: Item[] = [];
    batch.events.forEach((e, i) => {
      const reads = readHandOffs(e, now);
      const usable = reads.flatMap((r) => (r.ok ? [r.handOff] : []));
      // Never the stanza: the envelope id and what is wrong.
      const problems = reads.flatMap((r) => (r.ok ? [] : [r.problem]));
      if (usable.length === 0) outcomes[i] = new TerminalError(`unusable offline hand-off ${String(e?.id).slice(0, 200)}: ${problems.join('; ').slice(0, 500)}`);
      else if (problems.length) this.log.error({ eventId: String(e.id).slice(0, 200), unusable: problems.length, problems: [...new Set(problems)] }, 'unusable hand-offs dropped from an offline store envelope');
      for (const h of usable) items.push({ i, e, h });
    });
    if (items.length === 0) return outcomes;
    try {
      this.settled(items, await this.decide(items));
    } catch (err) {
      // Nothing of the batch was recorded. One envelope alone is redelivered; of several, each
      // is tried on its own, so one that can never commit fails alone and the others go on.
      const envelopes = [...new Set(items.map((item) => item.i))];
      if (envelopes.length === 1) throw err;
      for (const i of envelopes) {
        const own = items.filter((item) => item.i === i);
        try {
          this.settled(own, await this.decide(own));
        } catch (e) {
          outcomes[i] = e instanceof Error ? e : new Error(String(e));
        }
      }
    }
    return outcomes;
  }

  /** One transaction for the batch (group commit): five statements for the lot. */
  private async decide(items: Item[]): Promise<AcceptOutcome[]> {
    const started = performance.now();
    const envelopes = new Map(items.map(({ e, h }) => [h.id, e]));
    const outcomes = await this.store.acceptMany(
      items.map((i) => i.h),
      { quota: this.config.OFFLINE_QUOTA, now: new Date(), refusalEvent: (r, h) => this.deliveryFailed(envelopes.get(h.id)!, h, r) },
    );
    const count = (p: (o: AcceptOutcome) => boolean) => outcomes.filter(p).length;
    const stored = count((o) => o.kind === 'stored' && !o.duplicate);
    const refused = count((o) => o.kind === 'refused' && !o.duplicate);
    // Never the stanza, never JIDs: counts (and, at debug, ids and outcomes) only.
    this.log.info({ handOffs: items.length, stored, refused, duplicates: items.length - stored - refused, ms: Math.round(performance.now() - started) }, 'offline hand-offs committed');
    return outcomes;
  }

  /** After the commit: gateways holding an available session of a recipient deliver now (core NATS, best effort). */
  private settled(items: Item[], outcomes: AcceptOutcome[]): void {
    // one notice per recipient of the batch (its last message): a gateway reads that user's backlog once anyway
    const last = new Map<string, string>();
    items.forEach(({ h }, k) => {
      const outcome = outcomes[k];
      if (outcome.kind === 'stored' && !outcome.duplicate) last.set(h.user, h.id);
      this.log.debug({ handOffId: h.id, outcome: outcome.kind, reason: outcome.kind === 'refused' ? outcome.reason : undefined, duplicate: outcome.duplicate }, 'offline hand-off');
    });
    for (const [user, id] of last) this.notify(user, id);
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
