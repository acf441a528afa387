// @parley/testing-xmpp: real XMPP clients and real service processes for tests.
export * from './gateway-process';
export * from './raw';
export * from './client';
export * from './ibr';
export * from './scram-sha-256';
export * from './stack';
export * from './component';
export * from './test-ca';
