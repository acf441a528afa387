// @parley/config: typed configuration from the environment.
export * from './config';
