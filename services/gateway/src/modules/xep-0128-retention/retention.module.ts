// XEP-0128: Service Discovery Extensions — the server's disco#info carries the retention
// figures (a data form of FORM_TYPE `urn:parley:retention:0`), so clients can show users
// what is kept and for how long. The figures are the gateway's copy of the owners'
// settings, declared under the same names and bounded by the same policy: set them to the
// values the owners run with (unset, each is the policy's maximum, which no owner exceeds).
import { opt } from '@parley/config';
import { dataForm, DataField } from '@parley/xep';
import { defineModule } from '../../host';

/** The FORM_TYPE of the retention form. */
export const NS_RETENTION = 'urn:parley:retention:0';

const seconds = (ms: number) => String(Math.floor(ms / 1000));

export const retentionModule = defineModule({
  name: 'xep-0128-retention',
  options: {
    OFFLINE_RETENTION: opt.retention({ doc: 'Advertised (XEP-0128): how long undelivered messages are kept; the offline service\'s setting of the same name.', policy: 'offline', min: '1s' }),
    ARCHIVE_RETENTION: opt.retention({ doc: 'Advertised (XEP-0128): how long archived messages are kept; the archive service\'s setting of the same name.', policy: 'archive', min: '1s' }),
    DELIVERY_LOG_RETENTION: opt.retention({ doc: 'Advertised (XEP-0128): how long the delivery-error log keeps an entry; the janitor\'s setting of the same name.', policy: 'deliveryLog', min: '1s' }),
    UPLOAD_RETENTION: opt.retention({ doc: 'Advertised (XEP-0128): how long files shared in messages (XEP-0363) are kept; the upload service\'s setting of the same name.', policy: 'uploads', min: '1s' }),
    ACCOUNT_INACTIVITY: opt.duration({ doc: 'Advertised (XEP-0128): an account unused this long is deleted; the janitor\'s setting of the same name.', default: '365d', min: '1s', max: '3650d' }),
  },
  init(ctx) {
    const o = ctx.options;
    const field = (v: string, label: string, ms: number): DataField => ({ var: v, type: 'text-single', label, values: [seconds(ms)] });
    ctx.serverInfoForm(
      dataForm.toElement({
        type: 'result',
        fields: [
          { var: 'FORM_TYPE', type: 'hidden', values: [NS_RETENTION] },
          field('offline', 'Undelivered messages are kept at most (seconds)', o.OFFLINE_RETENTION),
          field('archive', 'Archived messages are kept at most (seconds; the archive is off until you turn it on)', o.ARCHIVE_RETENTION),
          field('uploads', 'Files shared in messages are deleted after (seconds)', o.UPLOAD_RETENTION),
          field('inactivity', 'An account unused this long is deleted (seconds)', o.ACCOUNT_INACTIVITY),
          field('delivery-log', 'Delivery errors (no content) are logged for (seconds)', o.DELIVERY_LOG_RETENTION),
        ],
      }),
    );
  },
});
