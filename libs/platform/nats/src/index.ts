// @parley/nats: NATS + JetStream for Parley services (typed, namespaced).
export * from './bus';
export * from './errors';
export * from './nest';
