module.exports = {
  ...require('../../../jest.preset.js'),
  displayName: 'xmpp-xep',
  rootDir: __dirname,
};
