module.exports = {
  ...require('../../jest.preset.js'),
  displayName: 'archive',
  rootDir: __dirname,
};
