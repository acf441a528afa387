// The profile service: wiring only.
import { DynamicModule, Module } from '@nestjs/common';
import { ERASURE_CONFIRMATIONS, GATEWAY_EVENTS, QueueGroups } from '@parley/contracts';
import { NatsModule } from '@parley/nats';
import { PersistenceModule } from '@parley/persistence';
import { busOptions, RunServiceOptions, RuntimeModule } from '@parley/runtime';
import { ProfileConfig } from './config/config';
import { ProfileService } from './domain/profile.service';
import { AccountDeletedHandler } from './handlers/account-deleted.handler';
import { CapsHandler } from './handlers/caps.handler';
import { PepHandler } from './handlers/pep.handler';
import { PrivateHandler } from './handlers/private.handler';
import { VCardHandler } from './handlers/vcard.handler';
import { profileDataSource } from './persistence/data-source';
import { ProfileStore } from './store/profile-store';
import { PROFILE_CONFIG } from './tokens';

/** The streams the profile service provisions (it consumes account deletions and confirms erasures). */
export const PROFILE_STREAMS = [GATEWAY_EVENTS, ERASURE_CONFIRMATIONS];

/** How the profile service sits on the bus. */
export function profileBus(): NonNullable<RunServiceOptions['bus']> {
  return { queue: QueueGroups.profile, streams: PROFILE_STREAMS };
}

@Module({})
export class AppModule {
  static forRoot(config: ProfileConfig, env: Record<string, string | undefined> = process.env): DynamicModule {
    return {
      module: AppModule,
      imports: [
        RuntimeModule.forRoot('profile'),
        NatsModule.forRoot(() => busOptions(config, 'profile')),
        PersistenceModule.forService(() => ({ ...profileDataSource(env, config.DB_POOL_SIZE) })),
      ],
      providers: [{ provide: PROFILE_CONFIG, useValue: config }, ProfileStore, ProfileService],
      controllers: [VCardHandler, PrivateHandler, PepHandler, CapsHandler, AccountDeletedHandler],
    };
  }
}
