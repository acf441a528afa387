// @parley/nats: NATS + JetStream for Parley services (typed, namespaced), and the
// Nest transport that makes service handlers controllers.
export * from './bus';
export * from './errors';
export * from './nest';
export * from './transport';
export * from './enhancers';
export * from './jid-pipe';
export * from './naming';
export * from './permissions';
export * from './test-server';
