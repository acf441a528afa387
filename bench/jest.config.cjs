// Unit tests of the load generator's pieces (SCRAM client, statistics, parsing).
// Speed is measured by `npm run bench`, never asserted here.
module.exports = {
  ...require('../jest.preset.js'),
  displayName: 'bench',
  rootDir: __dirname,
  testTimeout: 60_000,
};
