'use strict';
// Spec output, then one plain closing line, alone on its line: "N passed, N failed, N skipped".
// CI reads it: with DIC_TEST_SUMMARY_FILE set (scripts/test.sh) the line is appended there too,
// and `node scripts/check-suites.mjs --summary FILE` fails the run unless every line says tests
// passed and none failed or was skipped (a run that never finished leaves no line).
const fs = require('node:fs');
const Mocha = require('mocha');

class SummaryReporter extends Mocha.reporters.Spec {
  constructor(runner, options) {
    super(runner, options);
    runner.once(Mocha.Runner.constants.EVENT_RUN_END, () => {
      const s = runner.stats;
      const line = `${s.passes} passed, ${s.failures} failed, ${s.pending} skipped`;
      process.stdout.write(`\n${line}\n`);
      if (process.env.DIC_TEST_SUMMARY_FILE) fs.appendFileSync(process.env.DIC_TEST_SUMMARY_FILE, `${line}\n`);
    });
  }
}

module.exports = SummaryReporter;
