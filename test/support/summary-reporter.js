/**
 * Ends the run with one plain line, `tests: N passed, N failed`, that any CI log reader can
 * count, whatever it knows of jest's own summary.
 *
 * It also bounds the whole run: past FOPFLOW_TEST_DEADLINE_S (default 1800 s) it names the
 * suites still running and ends the run as failed, so a suite that hangs outside jest's
 * per-test timeout shows up as a clear failure instead of a CI job that never finishes.
 */
const { writeSync } = require('node:fs');

const DEFAULT_DEADLINE_S = 1800;

class SummaryReporter {
  constructor() {
    this.running = new Map();
    this.deadlineS = Number(process.env.FOPFLOW_TEST_DEADLINE_S) || DEFAULT_DEADLINE_S;
  }

  onRunStart() {
    this.timer = setTimeout(() => this.overrun(), this.deadlineS * 1000);
    this.timer.unref();
  }

  onTestStart(test) {
    this.running.set(test.path, Date.now());
  }

  onTestResult(test) {
    this.running.delete(test.path);
  }

  overrun() {
    const now = Date.now();
    const suites = [...this.running].map(([path, since]) => `  ${path} (running for ${Math.round((now - since) / 1000)} s)`);
    // Written synchronously: process.exit would drop what a pipe has not taken yet.
    writeSync(
      2,
      `\nthe test run passed its deadline of ${this.deadlineS} s (FOPFLOW_TEST_DEADLINE_S); still running:\n` +
        `${suites.join('\n') || '  no suite (jest is stuck outside the suites: global setup or teardown)'}\n`,
    );
    writeSync(1, 'tests: run stopped at its deadline\n');
    process.exit(1);
  }

  onRunComplete(_contexts, results) {
    clearTimeout(this.timer);
    const skipped = results.numPendingTests + results.numTodoTests;
    const tail = skipped ? `, ${skipped} skipped` : '';
    process.stdout.write(`tests: ${results.numPassedTests} passed, ${results.numFailedTests} failed${tail}\n`);
  }
}

module.exports = SummaryReporter;
