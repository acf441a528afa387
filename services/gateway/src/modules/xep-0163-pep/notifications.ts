// Delivery of PEP notifications (XEP-0163 §4.3): the profile service publishes each
// change with the bare JIDs allowed to see it; every gateway hands it to its own
// available sessions of those users whose caps asked for `<node>+notify`. The last
// items a session is owed when it starts asking (login, new caps) come the same way.
import { PepLastItemsQuery, PepLastItemsResult, PepNotificationV1, ProfileSubjects } from '@parley/contracts';
import { eventElement } from '@parley/xep';
import { Element, parseXml, x } from '@parley/xml';
import { randomUUID } from 'node:crypto';
import type { ModuleContext, Session } from '../../host';

function payloadOf(xml: string | undefined): Element | undefined {
  if (xml === undefined) return undefined;
  try {
    return parseXml(xml);
  } catch {
    return undefined;
  }
}

/** The `<event/>` of a notification. */
export function notificationEvent(n: Pick<PepNotificationV1, 'node' | 'kind' | 'item'>): Element | undefined {
  if (n.kind === 'delete') return eventElement(n.node, { kind: 'delete' });
  if (!n.item?.id) return undefined;
  if (n.kind === 'retract') return eventElement(n.node, { kind: 'retract', id: n.item.id });
  return eventElement(n.node, { kind: 'items', id: n.item.id, payload: payloadOf(n.item.payload) });
}

const message = (from: string, to: string, event: Element): Element => x('message', { from, to, type: 'headline', id: randomUUID() }, event);

export class Notifications {
  constructor(
    private readonly ctx: ModuleContext,
    private readonly wants: (session: Session) => ReadonlySet<string>,
  ) {}

  /** A `profile.evt.notify`: to this gateway's sessions of the recipients that asked for the node. */
  deliver(n: PepNotificationV1): number {
    if (typeof n?.publisher !== 'string' || typeof n.node !== 'string' || !Array.isArray(n.recipients)) return 0;
    let event: Element | undefined;
    let sent = 0;
    for (const bare of n.recipients) {
      for (const st of this.ctx.directory.resources(bare)) {
        const s = st.session;
        if (!s || s.closed || !st.available || !this.wants(s).has(n.node)) continue;
        event ??= notificationEvent(n);
        if (!event) return 0;
        s.send(message(n.publisher, s.full, event));
        sent++;
      }
    }
    return sent;
  }

  /** XEP-0163 §4.3.3/§6.1.2: the last item of each node the session just asked for. */
  async sendLast(session: Session, nodes: string[], publishers?: string[]): Promise<void> {
    try {
      const r = await this.ctx.bus.request<PepLastItemsResult>(ProfileSubjects.lastItems, { user: session.bare, nodes, publishers } satisfies PepLastItemsQuery);
      for (const i of r.items) {
        if (session.closed) return;
        const event = notificationEvent({ node: i.node, kind: 'items', item: i.item });
        if (event) session.send(message(i.publisher, session.full, event));
      }
    } catch (err) {
      this.ctx.log.warn({ err: (err as Error).message }, 'last PEP items not sent');
    }
  }
}
