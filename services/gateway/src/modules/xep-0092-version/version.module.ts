// XEP-0092: Software Version of the server (version and OS can be hidden by config).
import { NS } from '@parley/stanza';
import { x } from '@parley/xml';
import { appVersion } from '@parley/runtime';
import type { GatewayModule } from '..';

const VERSION = appVersion();

export const versionModule: GatewayModule = {
  name: 'xep-0092-version',
  init(gw) {
    gw.registry.serverFeatures.add(NS.version);
    gw.registry.onIq('get', 'server', NS.version, () =>
      x(
        'query',
        { xmlns: NS.version },
        x('name', null, gw.config.SERVER_NAME),
        gw.config.SERVER_VERSION_HIDDEN ? undefined : x('version', null, VERSION),
        gw.config.SERVER_VERSION_HIDDEN ? undefined : x('os', null, `Node.js ${process.version}`),
      ),
    );
  },
};
