// XEP-0352: Client State Indication. While a client says it is inactive, presence
// updates and body-less messages are held (in order, bounded) and sent with the
// next urgent stanza or when it becomes active again — fewer wake-ups on mobiles.
import { NS } from '@parley/stanza';
import { x } from '@parley/xml';
import { defineModule } from '../../host';

export const csiModule = defineModule({
  name: 'xep-0352-csi',
  init(ctx) {
    ctx.streamFeature(() => x('csi', { xmlns: NS.csi }));
    ctx.nonza((session, el) => {
      if (el.attrs.xmlns !== NS.csi) return false;
      if (el.name === 'inactive') session.setInactive(true);
      else if (el.name === 'active') session.setInactive(false);
      else return false;
      return true;
    });
  },
});
