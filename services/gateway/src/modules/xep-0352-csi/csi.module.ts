// XEP-0352: Client State Indication. While a client says it is inactive, presence
// updates and body-less messages are held (in order, bounded) and sent with the
// next urgent stanza or when it becomes active again — fewer wake-ups on mobiles.
import { NS } from '@parley/stanza';
import { x } from '@parley/xml';
import type { GatewayModule } from '..';

export const csiModule: GatewayModule = {
  name: 'xep-0352-csi',
  init(gw) {
    gw.registry.streamFeatures.push(() => x('csi', { xmlns: NS.csi }));
    gw.nonzaHandlers.push((conn, el) => {
      if (el.attrs.xmlns !== NS.csi || !conn.session) return false;
      if (el.name === 'inactive') conn.session.setInactive(true);
      else if (el.name === 'active') conn.session.setInactive(false);
      else return false;
      return true;
    });
  },
};
