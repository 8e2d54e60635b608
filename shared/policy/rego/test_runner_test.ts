import { test } from "uvu";
import * as assert from "uvu/assert";
import { mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { fileURLToPath } from "node:url";
import { printReport, runTests } from "./test_runner.ts";

const examples = fileURLToPath(new URL("./examples", import.meta.url));

test("passing example policy: all tests pass, exit code 0", () => {
  const r = runTests(join(examples, "plan"));
  assert.is(r.errors.length, 0);
  assert.is(r.outcomes.length, 3);
  for (const o of r.outcomes) assert.is(o.status, "PASS", `${o.name}: ${o.message}`);
  assert.is(printReport(r, () => {}), 0);
});

test("deliberately failing fixture is reported as FAIL, exit code 1", () => {
  const r = runTests(join(examples, "failing"));
  const byName = Object.fromEntries(r.outcomes.map((o) => [o.name, o.status]));
  assert.is(byName["data.spacelift.test_track_on_stack_branch"], "PASS");
  assert.is(byName["data.spacelift.test_deliberately_failing"], "FAIL");
  const lines: string[] = [];
  assert.is(printReport(r, (s) => lines.push(s)), 1);
  assert.ok(lines.some((l) => l.startsWith("FAIL  data.spacelift.test_deliberately_failing")));
});

test("parse errors are reported with file:line:col and fail the run", () => {
  const dir = mkdtempSync(join(tmpdir(), "rego-test-"));
  try {
    writeFileSync(join(dir, "bad_test.rego"), "package x\n\ntest_a if {\n  1 ==\n}\n");
    const r = runTests(dir);
    assert.is(r.errors.length, 1);
    assert.match(r.errors[0], /bad_test\.rego:5:1: /);
    assert.is(printReport(r, () => {}), 1);
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
});

test.run();
