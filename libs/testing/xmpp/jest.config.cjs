module.exports = {
  ...require('../../../jest.preset.js'),
  displayName: 'testing-xmpp',
  rootDir: __dirname,
};
