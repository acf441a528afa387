// XEP-0199: XMPP Ping — the server and accounts answer pings.
import { NS } from '@parley/stanza';
import { defineModule } from '../../host';

export const pingModule = defineModule({
  name: 'xep-0199-ping',
  init(ctx) {
    ctx.serverFeature(NS.ping);
    ctx.accountFeature(NS.ping, { public: true });
    ctx.iq('get', 'server', NS.ping, () => undefined);
    ctx.iq('get', 'account', NS.ping, () => undefined);
  },
});
