module.exports = {
  ...require('../../../jest.preset.js'),
  displayName: 'xmpp-stanza',
  rootDir: __dirname,
};
