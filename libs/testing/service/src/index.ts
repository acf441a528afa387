// @parley/testing-service: the one harness for a service's integration specs.
export * from './service-harness';
export * from './payload-pipes';
