module.exports = {
  ...require('../jest.preset.js'),
  displayName: 'ops',
  rootDir: __dirname,
  testTimeout: 120_000,
};
