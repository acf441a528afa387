// The roster service: wiring only.
import { DynamicModule, Module } from '@nestjs/common';
import { ERASURE_CONFIRMATIONS, GATEWAY_EVENTS, QueueGroups, ROSTER_EVENTS } from '@parley/contracts';
import { NatsModule } from '@parley/nats';
import { OutboxRelay, outboxProviders, PersistenceModule } from '@parley/persistence';
import { busOptions, LOGGER, RunServiceOptions, RuntimeModule } from '@parley/runtime';
import { DataSource } from 'typeorm';
import { RosterConfig } from './config/config';
import { AccountDeletedConsumer } from './handlers/account-deleted.consumer';
import { BlockHandler, BlocklistHandler, BlocklistsHandler, UnblockAllHandler, UnblockHandler } from './handlers/blocking.handlers';
import { GetRosterHandler } from './handlers/get.handler';
import { LoginHandler, LoginsHandler } from './handlers/login.handler';
import { PresenceHandler } from './handlers/presence.handler';
import { RemoveItemHandler } from './handlers/remove-item.handler';
import { SetItemHandler } from './handlers/set-item.handler';
import { ROSTER_CONFIG } from './handlers/tokens';
import { rosterDataSource } from './persistence/data-source';
import { ROSTER_STORE } from './store/roster.store';
import { TypeOrmRosterStore } from './store/typeorm-roster.store';

/** How the roster service sits on the bus: its queue group and the streams it publishes to or consumes. */
export const ROSTER_BUS: NonNullable<RunServiceOptions['bus']> = { queue: QueueGroups.roster, streams: [ROSTER_EVENTS, GATEWAY_EVENTS, ERASURE_CONFIRMATIONS] };

@Module({})
export class AppModule {
  static forRoot(config: RosterConfig, env: Record<string, string | undefined> = process.env): DynamicModule {
    return {
      module: AppModule,
      imports: [
        RuntimeModule.forRoot('roster'),
        NatsModule.forRoot(() => busOptions(config, 'roster')),
        PersistenceModule.forService(() => ({ ...rosterDataSource(env, config.DB_POOL_SIZE) })),
      ],
      providers: [
        { provide: ROSTER_CONFIG, useValue: config },
        ...outboxProviders(config.ROSTER_OUTBOX_INTERVAL, LOGGER),
        {
          provide: ROSTER_STORE,
          useFactory: (ds: DataSource, outbox: OutboxRelay) =>
            new TypeOrmRosterStore(ds, { changeLogSize: config.ROSTER_CHANGE_LOG_SIZE, onEventsCommitted: () => outbox.tryFlush() }),
          inject: [DataSource, OutboxRelay],
        },
      ],
      controllers: [
        GetRosterHandler,
        LoginHandler,
        LoginsHandler,
        SetItemHandler,
        RemoveItemHandler,
        PresenceHandler,
        BlocklistHandler,
        BlocklistsHandler,
        BlockHandler,
        UnblockHandler,
        UnblockAllHandler,
        AccountDeletedConsumer,
      ],
    };
  }
}
