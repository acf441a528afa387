module.exports = {
  ...require('../../../jest.preset.js'),
  displayName: 'xmpp-xml',
  rootDir: __dirname,
};
