module.exports = {
  ...require('../../jest.preset.js'),
  displayName: 'janitor',
  rootDir: __dirname,
};
