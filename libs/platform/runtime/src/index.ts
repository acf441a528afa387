// @parley/runtime: logging, health, metrics, scheduling and bootstrap shared by every service.
export * from './logger';
export * from './health';
export * from './runtime';
export * from './service-config';
export * from './interceptor';
export * from './scheduler';
