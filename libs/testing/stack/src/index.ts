// @parley/testing-stack: real NATS and Postgres for tests.
export * from './infra';
