// The gateway's feature modules, one folder per RFC/XEP. Each declares itself in
// init(): its disco features, stream features, IQ handlers and stanza hooks.
import type { GatewayCore } from '../gateway-core';
import type { ResourceState } from '../session/directory';
import { discoModule } from './xep-0030-disco/disco.module';
import { registerModule } from './xep-0077-register/register.module';
import { versionModule } from './xep-0092-version/version.module';
import { pingModule } from './xep-0199-ping/ping.module';
import { timeModule } from './xep-0202-time/time.module';
import { presenceModule } from './rfc6121-presence/presence.module';
import { rosterModule } from './rfc6121-roster/roster.module';
import { blockingModule } from './xep-0191-blocking/blocking.module';
import { offlineModule } from './xep-0160-offline/offline.module';
import { mamModule } from './xep-0313-mam/mam.module';
import { carbonsModule } from './xep-0280-carbons/carbons.module';
import { csiModule } from './xep-0352-csi/csi.module';

/** A gateway feature module. */
export interface GatewayModule {
  /** e.g. `xep-0199-ping`. */
  readonly name: string;
  init(gw: GatewayCore): void | Promise<void>;
  /** A peer gateway vanished with these resources. */
  peerGone?(instanceId: string, dropped: Array<{ bare: string; state: ResourceState }>): void;
}

/** Every module, in load order. */
export const ALL_MODULES: GatewayModule[] = [
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
];
