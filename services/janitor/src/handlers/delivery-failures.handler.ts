// The delivery-error log: gateway.evt.delivery-failed (GATEWAY_DELIVERY_FAILURES) and
// offline.evt.delivery-failed (OFFLINE_EVENTS), each on its own durable, become rows of
// (source, from, to, kind, reason, detail, time). Never content, never an address: only
// those fields are read, each checked; JIDs are kept bare.
import { Controller, Inject } from '@nestjs/common';
import { EventPattern, Payload } from '@nestjs/microservices';
import {
  ARCHIVE_EVENTS,
  ArchiveDeliveryFailedV1,
  ArchiveEvents,
  Durables,
  EventEnvelope,
  GATEWAY_DELIVERY_FAILURES,
  GatewayDeliveryFailedV1,
  GatewayEvents,
  OFFLINE_EVENTS,
  OfflineDeliveryFailedV1,
  OfflineEvents,
} from '@parley/contracts';
import { BusEventOptions, PrepareJids, TerminalError } from '@parley/nats';
import { JANITOR_STORE, JanitorStore } from '../store/janitor-store';
import { JanitorMetrics } from '../domain/metrics';

const KINDS = new Set(['message', 'presence', 'iq']);
/** Reasons and details are machine words (conditions, rule names), never free text. */
const WORD = /^[a-z0-9][a-z0-9-]{0,63}$/;

function word(v: unknown, what: string, optional = false): string | undefined {
  if (v === undefined && optional) return undefined;
  if (typeof v !== 'string' || !WORD.test(v)) throw new TerminalError(`delivery-failed with an unusable ${what}`);
  return v;
}

function at(e: EventEnvelope<{ at?: unknown }>): Date {
  const t = Date.parse(typeof e.data.at === 'string' ? e.data.at : e.occurredAt);
  return Number.isNaN(t) ? new Date() : new Date(t);
}

@Controller()
export class DeliveryFailuresHandler {
  constructor(
    @Inject(JANITOR_STORE) private readonly store: JanitorStore,
    private readonly metrics: JanitorMetrics,
  ) {}

  @EventPattern(GatewayEvents.deliveryFailed, { stream: GATEWAY_DELIVERY_FAILURES, durable: Durables.janitorDeliveryFailures, maxDeliver: -1 } satisfies BusEventOptions)
  async gateway(@Payload(new PrepareJids({ 'data.from': 'bare?', 'data.to': 'bare' })) e: EventEnvelope<GatewayDeliveryFailedV1>): Promise<void> {
    const d = e.data;
    if (!KINDS.has(d.kind)) throw new TerminalError('delivery-failed with an unknown stanza kind');
    const reason = word(d.reason, 'reason')!;
    const logged = await this.store.logFailure(e.id, { source: 'gateway', from: d.from, to: d.to, kind: d.kind, reason, detail: word(d.detail, 'detail', true), at: at(e) });
    if (logged) this.metrics.deliveryFailures.inc({ source: 'gateway', reason });
  }

  /** A message the owner asked to archive and the archive refused: logged as `not-archived` with the rule. */
  @EventPattern(ArchiveEvents.deliveryFailed, { stream: ARCHIVE_EVENTS, durable: Durables.janitorArchiveFailures, maxDeliver: -1 } satisfies BusEventOptions)
  async archive(@Payload(new PrepareJids({ 'data.owner': 'bare', 'data.with': 'bare' })) e: EventEnvelope<ArchiveDeliveryFailedV1>): Promise<void> {
    const d = e.data;
    if (d.direction !== 'in' && d.direction !== 'out') throw new TerminalError('archive delivery-failed without a direction');
    const [from, to] = d.direction === 'out' ? [d.owner, d.with] : [d.with, d.owner];
    const logged = await this.store.logFailure(e.id, { source: 'archive', from, to, kind: 'message', reason: 'not-archived', detail: word(d.reason, 'detail'), at: at(e) });
    if (logged) this.metrics.deliveryFailures.inc({ source: 'archive', reason: 'not-archived' });
  }

  @EventPattern(OfflineEvents.deliveryFailed, { stream: OFFLINE_EVENTS, durable: Durables.janitorOfflineFailures, maxDeliver: -1 } satisfies BusEventOptions)
  async offline(@Payload(new PrepareJids({ 'data.from': 'bare', 'data.to': 'bare' })) e: EventEnvelope<OfflineDeliveryFailedV1>): Promise<void> {
    const d = e.data;
    const reason = word(d.reason, 'reason')!;
    const logged = await this.store.logFailure(e.id, { source: 'offline', from: d.from, to: d.to, kind: 'message', reason, detail: word(d.detail, 'detail', true), at: at(e) });
    if (logged) this.metrics.deliveryFailures.inc({ source: 'offline', reason });
  }
}
