module.exports = {
  ...require('../../../jest.preset.js'),
  displayName: 'xmpp-jid',
  rootDir: __dirname,
};
