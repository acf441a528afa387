module.exports = {
  ...require('../../jest.preset.js'),
  displayName: 'upload',
  rootDir: __dirname,
};
