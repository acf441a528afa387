// ERASURE_CONFIRMATIONS (durable `janitor-erasures`, retried until it succeeds): each
// owner's confirmation that it erased a deleted account's data, recorded against the
// deletion (its event id; no JID). `ctl erasures` shows which owners have not confirmed.
import { Controller, Inject } from '@nestjs/common';
import { Ctx, EventPattern, Payload } from '@nestjs/microservices';
import { AccountErasedV1, Durables, ERASURE_CONFIRMATIONS, EventEnvelope, isAccountErasedV1 } from '@parley/contracts';
import { BusContext, BusEventOptions, TerminalError } from '@parley/nats';
import { LOGGER, Logger } from '@parley/runtime';
import { JANITOR_STORE, JanitorStore } from '../store/janitor-store';

@Controller()
export class ErasuresHandler {
  constructor(
    @Inject(JANITOR_STORE) private readonly store: JanitorStore,
    @Inject(LOGGER) private readonly log: Logger,
  ) {}

  @EventPattern('erasure.evt.*', { stream: ERASURE_CONFIRMATIONS, durable: Durables.janitorErasures, maxDeliver: -1 } satisfies BusEventOptions)
  async confirmed(@Payload() e: EventEnvelope<AccountErasedV1>, @Ctx() ctx: BusContext): Promise<void> {
    if (!isAccountErasedV1(e.data)) throw new TerminalError(`malformed erasure confirmation ${String(e.id).slice(0, 100)}`);
    // An owner confirms on its own subject only.
    if (ctx.getSubject() !== `erasure.evt.${e.data.owner}`) throw new TerminalError(`erasure confirmation of ${e.data.owner} on ${ctx.getSubject()}`);
    const at = Date.parse(e.occurredAt);
    await this.store.confirmErasure({ deletionId: e.data.deletionId, owner: e.data.owner, at: Number.isNaN(at) ? new Date() : new Date(at), erased: e.data.erased });
    this.log.debug({ deletionId: e.data.deletionId, owner: e.data.owner }, 'erasure confirmed');
  }
}
