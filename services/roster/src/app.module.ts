// The roster service: wiring only.
import { DynamicModule, Module } from '@nestjs/common';
import { Bus, NatsModule } from '@parley/nats';
import { PersistenceModule } from '@parley/persistence';
import { RuntimeModule } from '@parley/runtime';
import type { Logger } from 'pino';
import { DataSource } from 'typeorm';
import { RosterConfig } from './config/config';
import { AccountDeletedConsumer } from './handlers/account-deleted.consumer';
import { BlockHandler, BlocklistHandler, UnblockAllHandler, UnblockHandler } from './handlers/blocking.handlers';
import { GetRosterHandler } from './handlers/get.handler';
import { RosterLifecycle } from './handlers/lifecycle';
import { LoginHandler } from './handlers/login.handler';
import { PresenceHandler } from './handlers/presence.handler';
import { RemoveItemHandler } from './handlers/remove-item.handler';
import { SetItemHandler } from './handlers/set-item.handler';
import { ROSTER_CONFIG } from './handlers/tokens';
import { rosterDataSource } from './persistence/data-source';
import { OutboxRelay } from './store/outbox';
import { ROSTER_STORE } from './store/roster.store';
import { TypeOrmRosterStore } from './store/typeorm-roster.store';

@Module({})
export class AppModule {
  static forRoot(config: RosterConfig, env: Record<string, string | undefined> = process.env): DynamicModule {
    return {
      module: AppModule,
      imports: [
        RuntimeModule.forRoot('roster'),
        NatsModule.forRoot(() => ({ url: config.NATS_URL, name: `roster-${config.INSTANCE_ID || process.pid}`, namespace: config.NATS_NAMESPACE })),
        PersistenceModule.forService(() => ({ ...rosterDataSource(env, config.DB_POOL_SIZE) })),
      ],
      providers: [
        { provide: ROSTER_CONFIG, useValue: config },
        {
          provide: OutboxRelay,
          useFactory: (ds: DataSource, bus: Bus, log: Logger) => new OutboxRelay(ds, bus, log),
          inject: [DataSource, Bus, 'PINO'],
        },
        {
          provide: ROSTER_STORE,
          useFactory: (ds: DataSource, outbox: OutboxRelay) =>
            new TypeOrmRosterStore(ds, { changeLogSize: config.ROSTER_CHANGE_LOG_SIZE, onEventsCommitted: () => outbox.tryFlush() }),
          inject: [DataSource, OutboxRelay],
        },
        RosterLifecycle,
        GetRosterHandler,
        LoginHandler,
        SetItemHandler,
        RemoveItemHandler,
        PresenceHandler,
        BlocklistHandler,
        BlockHandler,
        UnblockHandler,
        UnblockAllHandler,
        AccountDeletedConsumer,
      ],
    };
  }
}
