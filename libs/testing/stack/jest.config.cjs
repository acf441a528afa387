module.exports = {
  ...require('../../../jest.preset.js'),
  displayName: 'testing-stack',
  rootDir: __dirname,
};
