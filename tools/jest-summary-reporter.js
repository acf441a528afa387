// Records each jest run's totals so `npm test` can print one closing line for all
// projects: "tests: N passed, N failed, N skipped".
const fs = require('node:fs');
const path = require('node:path');

class SummaryReporter {
  constructor(globalConfig) {
    this.dir = process.env.PARLEY_TEST_SUMMARY_DIR;
    this.name = globalConfig.rootDir;
  }
  onRunComplete(_contexts, results) {
    if (!this.dir) return;
    fs.mkdirSync(this.dir, { recursive: true });
    const file = path.join(this.dir, `${process.pid}-${Date.now()}.json`);
    fs.writeFileSync(
      file,
      JSON.stringify({
        project: this.name,
        passed: results.numPassedTests,
        failed: results.numFailedTests + results.numRuntimeErrorTestSuites,
        skipped: results.numPendingTests + results.numTodoTests,
      }),
    );
  }
}
module.exports = SummaryReporter;
