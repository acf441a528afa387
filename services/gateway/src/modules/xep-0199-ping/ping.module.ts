// XEP-0199: XMPP Ping — the server and accounts answer pings.
import { NS } from '@parley/stanza';
import type { GatewayModule } from '..';

export const pingModule: GatewayModule = {
  name: 'xep-0199-ping',
  init(gw) {
    gw.registry.serverFeatures.add(NS.ping);
    gw.registry.accountFeatures.add(NS.ping);
    gw.registry.publicAccountFeatures.add(NS.ping);
    gw.registry.onIq('get', 'server', NS.ping, () => undefined);
    gw.registry.onIq('get', 'account', NS.ping, () => undefined);
  },
};
