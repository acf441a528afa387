// XEP-0202: Entity Time of the server (UTC).
import { NS } from '@parley/stanza';
import { x } from '@parley/xml';
import { defineModule } from '../../host';

/** XEP-0082 DateTime in UTC with milliseconds. */
export function xmppDateTime(d: Date): string {
  return d.toISOString();
}

export const timeModule = defineModule({
  name: 'xep-0202-time',
  init(ctx) {
    ctx.serverFeature(NS.time);
    ctx.iq('get', 'server', NS.time, () => x('time', { xmlns: NS.time }, x('tzo', null, '+00:00'), x('utc', null, xmppDateTime(new Date()))));
  },
});
