module.exports = {
  ...require('../../jest.preset.js'),
  displayName: 'offline',
  rootDir: __dirname,
};
