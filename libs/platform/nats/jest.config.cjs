module.exports = {
  ...require('../../../jest.preset.js'),
  displayName: 'platform-nats',
  rootDir: __dirname,
};
