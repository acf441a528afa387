// XEP-0092: Software Version of the server (version and OS can be hidden by config).
import { opt } from '@parley/config';
import { NS } from '@parley/stanza';
import { x } from '@parley/xml';
import { appVersion } from '@parley/runtime';
import { defineModule } from '../../host';

const VERSION = appVersion();

export const versionModule = defineModule({
  name: 'xep-0092-version',
  options: {
    SERVER_VERSION_HIDDEN: opt.bool({ doc: 'Answer version queries without the version number and OS.', default: false }),
  },
  init(ctx) {
    const hidden = ctx.options.SERVER_VERSION_HIDDEN;
    ctx.serverFeature(NS.version);
    ctx.iq('get', 'server', NS.version, () =>
      x(
        'query',
        { xmlns: NS.version },
        x('name', null, ctx.serverName),
        hidden ? undefined : x('version', null, VERSION),
        hidden ? undefined : x('os', null, `Node.js ${process.version}`),
      ),
    );
  },
});
