// Starts the archive's work once Nest is up: provisions the streams it publishes to
// or consumes, then every handler; stops them before the bus closes.
import { BeforeApplicationShutdown, Injectable, OnApplicationBootstrap } from '@nestjs/common';
import { ARCHIVE_EVENTS, ARCHIVE_INBOX, ARCHIVE_PREFS, GATEWAY_EVENTS } from '@parley/contracts';
import { Bus } from '@parley/nats';
import { Health } from '@parley/runtime';
import { DataSource } from 'typeorm';
import { InjectDataSource } from '@nestjs/typeorm';
import { AccountDeletedHandler } from './handlers/account-deleted.handler';
import { ArchiveHandler } from './handlers/handler';
import { LookupHandler } from './handlers/lookup.handler';
import { MetadataHandler } from './handlers/metadata.handler';
import { OptedInHandler } from './handlers/opted-in.handler';
import { PrefsHandler } from './handlers/prefs.handler';
import { StoreHandler } from './handlers/store.handler';
import { SweepHandler } from './handlers/sweep.handler';

/** The streams the archive provisions. */
export const ARCHIVE_STREAMS = [ARCHIVE_INBOX, ARCHIVE_EVENTS, ARCHIVE_PREFS, GATEWAY_EVENTS];

@Injectable()
export class ArchiveWorker implements OnApplicationBootstrap, BeforeApplicationShutdown {
  private readonly handlers: ArchiveHandler[];
  private started: ArchiveHandler[] = [];

  constructor(
    private readonly bus: Bus,
    private readonly health: Health,
    @InjectDataSource() private readonly ds: DataSource,
    prefs: PrefsHandler,
    lookup: LookupHandler,
    metadata: MetadataHandler,
    optedIn: OptedInHandler,
    sweep: SweepHandler,
    store: StoreHandler,
    accountDeleted: AccountDeletedHandler,
  ) {
    this.handlers = [prefs, lookup, metadata, optedIn, sweep, store, accountDeleted];
  }

  async onApplicationBootstrap(): Promise<void> {
    this.health.addCheck('postgres', async () => (await this.ds.query('SELECT 1 AS ok'))[0]?.ok === 1);
    this.health.addCheck('nats', () => !this.bus.nc.isClosed());
    await this.bus.ensureStreams(ARCHIVE_STREAMS);
    for (const h of this.handlers) {
      await h.start();
      this.started.push(h);
    }
    await this.bus.nc.flush();
  }

  async beforeApplicationShutdown(): Promise<void> {
    for (const h of this.started.reverse()) await h.stop();
    this.started = [];
  }
}
