// Presence held by sessions on other gateways. Only the gateway holding a session
// knows its last presence (RFC 6121 §4.3.2: a probe is answered from it), so work
// that needs it goes to the instances holding the user's available resources, one
// core-NATS message per instance and batch; each answers from its local sessions.
import { GatewaySubjects, isPresenceRelayV1, PresenceRelayV1, PresenceWorkV1 } from '@parley/contracts';
import type { Logger } from 'pino';
import type { ModuleContext } from '../../host';

/** Core NATS, gateway to gateway: presence work for one instance ({@link PresenceRelayV1}). */
export const PRESENCE_RELAY_SUBJECT = GatewaySubjects.presenceRelay;

/** Presence one user's available resources owe someone (the contract's {@link PresenceWorkV1}). */
export type PresenceWork = PresenceWorkV1;

export class PresenceRelay {
  private sub?: { unsubscribe(): void };

  constructor(
    private readonly bus: ModuleContext['bus'],
    private readonly directory: ModuleContext['directory'],
    private readonly instanceId: string,
    /** Answers work from this instance's sessions. */
    private readonly answerLocal: (w: PresenceWork) => Promise<void>,
    private readonly log: Logger,
  ) {}

  start(): void {
    this.sub = this.bus.subscribe<unknown>(PRESENCE_RELAY_SUBJECT(this.instanceId), async (m) => {
      if (!isPresenceRelayV1(m)) {
        this.log.warn('malformed presence relay message dropped');
        return;
      }
      for (const w of m.c) await this.answer(w);
    });
  }

  stop(): void {
    this.sub?.unsubscribe();
  }

  /** Does each piece of work where the user's available resources are: here directly, elsewhere by one message per instance. */
  async dispatch(work: PresenceWork[]): Promise<void> {
    const remote = new Map<string, PresenceWork[]>();
    const local: PresenceWork[] = [];
    for (const w of work) {
      const instances = new Set<string>();
      for (const r of this.directory.resources(w.u)) if (r.available && (!w.r || r.resource === w.r)) instances.add(r.instanceId);
      for (const i of instances) {
        if (i === this.instanceId) local.push(w);
        else {
          const list = remote.get(i);
          if (list) list.push(w);
          else remote.set(i, [w]);
        }
      }
    }
    for (const [instance, c] of remote) this.bus.publish(PRESENCE_RELAY_SUBJECT(instance), { c } satisfies PresenceRelayV1);
    for (const w of local) await this.answer(w);
  }

  private async answer(w: PresenceWork): Promise<void> {
    try {
      await this.answerLocal(w);
    } catch (err) {
      this.log.warn({ err }, 'presence relay work failed');
    }
  }
}
