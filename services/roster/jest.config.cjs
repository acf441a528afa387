module.exports = {
  ...require('../../jest.preset.js'),
  displayName: 'roster',
  rootDir: __dirname,
};
