// @parley/testing-peers: Debian's Prosody and ejabberd as private processes (their own
// configuration, data directory and loopback ports), for the benchmark's comparison mode
// and for the federation interop tests.
export * from './config';
export * from './servers';
