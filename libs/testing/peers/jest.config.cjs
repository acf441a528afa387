module.exports = {
  ...require('../../../jest.preset.js'),
  displayName: 'testing-peers',
  rootDir: __dirname,
};
