module.exports = {
  ...require('../../jest.preset.js'),
  displayName: 'profile',
  rootDir: __dirname,
};
