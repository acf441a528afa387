// The gateways under test present a self-signed development certificate; @xmpp/client
// offers no way to pass a CA, so verification is off for this process tree (the
// certificate's validity for the domain is checked by its own test, with the CA).
process.env.NODE_TLS_REJECT_UNAUTHORIZED = '0';
process.noDeprecation = true;

module.exports = {
  ...require('../jest.preset.js'),
  displayName: 'e2e',
  rootDir: __dirname,
  testMatch: ['**/*.e2e.spec.ts'],
  testTimeout: 60_000,
  maxWorkers: 1,
};
