// @parley/persistence: one Postgres database per service, via TypeORM.
export * from './database';
export * from './nest';
export * from './outbox';
export * from './outbox.entity';
