// @parley/testing-stack: real NATS and Postgres for tests.
export * from './infra';
export * from './auth-nats';
