// @parley/runtime: logging, health, metrics and bootstrap shared by every service.
export * from './logger';
export * from './runtime';
export * from './service-config';
