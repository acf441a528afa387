// What the PEP module offers: the nodes a session asked notifications for (XEP-0163 §4,
// from its XEP-0115 caps), for anyone who delivers PEP-like events.
import { defineApi, Session } from '../../host';

export interface PepApi {
  /** Nodes `session` asked `+notify` for (empty until its caps are known). */
  notifyNodes(session: Session): ReadonlySet<string>;
}

export const PEP = defineApi<PepApi>('xep-0163-pep');
