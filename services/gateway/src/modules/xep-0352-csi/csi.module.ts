// XEP-0352: Client State Indication. While a client says it is inactive, presence
// updates and body-less messages are held (in order, bounded) and sent with the
// next urgent stanza or when it becomes active again — fewer wake-ups on mobiles.
import { NS } from '@parley/stanza';
import { x } from '@parley/xml';
import { defineModule, defineSlot, OutputStage, Session } from '../../host';
import { CSI_MAX_HELD, isUrgent } from './urgency';

/** Outside stream management's stage: what is held has not been sent, so not counted yet. */
const CSI_OUTPUT_PRIORITY = 20;

/** One session's client state: its output stage, holding while inactive. */
class ClientState implements OutputStage {
  /** Stanzas held while the client is inactive, oldest first. */
  private held?: string[];

  get inactive(): boolean {
    return this.held !== undefined;
  }

  setInactive(inactive: boolean, session: Session): void {
    if (inactive) this.held ??= [];
    else {
      session.flushOutput();
      this.held = undefined;
    }
  }

  send(xml: string, next: (xml: string) => void): void {
    const held = this.held;
    if (held) {
      if (!isUrgent(xml) && held.length < CSI_MAX_HELD) {
        held.push(xml);
        return;
      }
      this.flush(next);
    }
    next(xml);
  }

  flush(next: (xml: string) => void): void {
    if (!this.held?.length) return;
    const held = this.held;
    this.held = [];
    for (const h of held) next(h);
  }
}

const STATE = defineSlot<ClientState>('xep-0352-csi');

export const csiModule = defineModule({
  name: 'xep-0352-csi',
  init(ctx) {
    ctx.streamFeature(() => x('csi', { xmlns: NS.csi }));
    ctx.nonza((session, el) => {
      if (el.attrs.xmlns !== NS.csi || (el.name !== 'inactive' && el.name !== 'active')) return false;
      let st = session.state.get(STATE);
      if (!st) {
        if (el.name === 'active') return true; // active is the initial state
        session.state.set(STATE, (st = new ClientState()));
        session.addOutputStage(st, CSI_OUTPUT_PRIORITY);
      }
      st.setInactive(el.name === 'inactive', session);
      return true;
    });
  },
});
