// Run Rego policy unit tests like `opa test`:
//   npm run policy:test -- <dir> [--v0]
// Loads every *.rego under <dir>, runs test_* rules from *_test.rego files,
// prints PASS/FAIL per test with timing, and exits 1 on any failure or error.

import { printReport, runTests } from "../shared/policy/rego/test_runner.ts";

const args = process.argv.slice(2);
const dir = args.find((a) => !a.startsWith("--"));
if (!dir) {
  console.error("usage: npm run policy:test -- <dir> [--v0]");
  process.exit(2);
}
process.exit(printReport(runTests(dir, args.includes("--v0") ? "v0" : "v1")));
