// The composition root's list of feature modules. Order here is only a tie-break:
// modules load after the modules whose APIs they require or use, and hooks run by
// their declared priorities. Adding a feature = one folder under modules/ and one line here.
import type { GatewayModule } from './host/module';
import { presenceModule } from './modules/rfc6121-presence/presence.module';
import { rosterModule } from './modules/rfc6121-roster/roster.module';
import { discoModule } from './modules/xep-0030-disco/disco.module';
import { registerModule } from './modules/xep-0077-register/register.module';
import { versionModule } from './modules/xep-0092-version/version.module';
import { offlineModule } from './modules/xep-0160-offline/offline.module';
import { blockingModule } from './modules/xep-0191-blocking/blocking.module';
import { smModule } from './modules/xep-0198-sm/sm.module';
import { pingModule } from './modules/xep-0199-ping/ping.module';
import { timeModule } from './modules/xep-0202-time/time.module';
import { carbonsModule } from './modules/xep-0280-carbons/carbons.module';
import { mamModule } from './modules/xep-0313-mam/mam.module';
import { csiModule } from './modules/xep-0352-csi/csi.module';
import { lastModule } from './modules/xep-0012-last/last.module';
import { commandsModule } from './modules/xep-0050-commands/commands.module';
import { exportModule } from './modules/xep-0227-export/export.module';
import { accountPageModule } from './modules/account-page/account-page.module';
import { adminModule } from './modules/xep-0133-admin/admin.module';
import { retentionModule } from './modules/xep-0128-retention/retention.module';
import { uploadModule } from './modules/xep-0363-upload/upload.module';
import { privateModule } from './modules/xep-0049-private/private.module';
import { vcardModule } from './modules/xep-0054-vcard/vcard.module';
import { pepModule } from './modules/xep-0163-pep/pep.module';

/** Every feature module of the gateway. */
export const GATEWAY_MODULES: ReadonlyArray<GatewayModule<any, any>> = [
  smModule,
  discoModule,
  pingModule,
  versionModule,
  timeModule,
  registerModule,
  presenceModule,
  blockingModule,
  rosterModule,
  mamModule,
  carbonsModule,
  offlineModule,
  csiModule,
  commandsModule,
  exportModule,
  accountPageModule,
  lastModule,
  adminModule,
  retentionModule,
  uploadModule,
  privateModule,
  vcardModule,
  pepModule,
];
