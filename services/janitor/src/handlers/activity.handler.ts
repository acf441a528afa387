// GATEWAY_EVENTS (durable `janitor-activity`, in order, retried until it succeeds):
// account-registered, sessions-changed (session-opened and session-closed from older
// gateways) and account-deleted keep one row per account — created, last used, open
// sessions per gateway instance. No history.
import { Controller, Inject } from '@nestjs/common';
import { EventPattern, Payload } from '@nestjs/microservices';
import {
  AccountDeletedV1,
  AccountRegisteredV1,
  Durables,
  EventEnvelope,
  GATEWAY_EVENTS,
  GatewayEvents,
  SessionClosedV1,
  SessionOpenedV1,
  SessionsChangedV1,
} from '@parley/contracts';
import { BusEventOptions, PrepareJids, TerminalError } from '@parley/nats';
import { LOGGER, Logger } from '@parley/runtime';
import { ActivityEvent, JANITOR_STORE, JanitorStore, SessionChange } from '../store/janitor-store';

const OPTIONS = { stream: GATEWAY_EVENTS, durable: Durables.janitorActivity, maxDeliver: -1 } satisfies BusEventOptions;

/** The time an event happened (its envelope), or now when unusable. */
function when(e: EventEnvelope<unknown>): Date {
  const t = Date.parse(e.occurredAt);
  return Number.isNaN(t) ? new Date() : new Date(t);
}

function instanceOf(e: EventEnvelope<{ instanceId?: unknown }>): string {
  const i = e.data.instanceId;
  if (typeof i !== 'string' || i === '' || i.length > 200) throw new TerminalError(`session event ${String(e.id).slice(0, 100)} without a gateway instance`);
  return i;
}

@Controller()
export class ActivityHandler {
  constructor(
    @Inject(JANITOR_STORE) private readonly store: JanitorStore,
    @Inject(LOGGER) private readonly log: Logger,
  ) {}

  @EventPattern(GatewayEvents.accountRegistered, OPTIONS)
  registered(@Payload(new PrepareJids({ 'data.jid': 'account' })) e: EventEnvelope<AccountRegisteredV1>): Promise<void> {
    return this.apply(e, { type: 'registered', jid: e.data.jid, at: when(e) });
  }

  @EventPattern(GatewayEvents.sessionOpened, OPTIONS)
  opened(@Payload(new PrepareJids({ 'data.jid': 'account' })) e: EventEnvelope<SessionOpenedV1>): Promise<void> {
    return this.apply(e, { type: 'opened', jid: e.data.jid, instanceId: instanceOf(e), at: when(e) });
  }

  @EventPattern(GatewayEvents.sessionClosed, OPTIONS)
  closed(@Payload(new PrepareJids({ 'data.jid': 'account' })) e: EventEnvelope<SessionClosedV1>): Promise<void> {
    return this.apply(e, { type: 'closed', jid: e.data.jid, instanceId: instanceOf(e), at: when(e) });
  }

  @EventPattern(GatewayEvents.sessionsChanged, OPTIONS)
  async changed(@Payload(new PrepareJids({ 'data.changes[].jid': 'account' })) e: EventEnvelope<SessionsChangedV1>): Promise<void> {
    const instanceId = instanceOf(e);
    if (!Array.isArray(e.data.changes)) throw new TerminalError(`sessions-changed event ${String(e.id).slice(0, 100)} without changes`);
    const changes: SessionChange[] = e.data.changes.map((c) => {
      if (c.kind !== 'opened' && c.kind !== 'closed') throw new TerminalError(`sessions-changed event ${String(e.id).slice(0, 100)} with an unknown kind of change`);
      const t = Date.parse(c.at);
      return { type: c.kind, jid: c.jid, at: Number.isNaN(t) ? when(e) : new Date(t), ...(c.reason === 'moved' ? { moved: true } : {}) };
    });
    const fresh = await this.store.applySessionChanges(e.id, instanceId, changes);
    if (!fresh) this.log.debug({ eventId: e.id, changes: changes.length }, 'gateway event already applied');
  }

  @EventPattern(GatewayEvents.accountDeleted, OPTIONS)
  deleted(@Payload(new PrepareJids({ 'data.jid': 'account' })) e: EventEnvelope<AccountDeletedV1>): Promise<void> {
    const reason = typeof e.data.reason === 'string' ? e.data.reason : 'unknown';
    return this.apply(e, { type: 'deleted', jid: e.data.jid, reason, at: when(e) });
  }

  private async apply(e: EventEnvelope<unknown>, a: ActivityEvent): Promise<void> {
    const fresh = await this.store.applyActivity(e.id, a);
    if (!fresh) this.log.debug({ eventId: e.id, type: a.type }, 'gateway event already applied');
  }
}
