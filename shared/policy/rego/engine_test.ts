import { test } from "uvu";
import * as assert from "uvu/assert";
import { compile, evaluate, evaluateValue, parseModule } from "./engine.ts";
import { RegoError, RegoParseError } from "./errors.ts";

const mod = (src: string, version: "v0" | "v1" = "v1") => parseModule(src, { version, filename: "p.rego" });

test("parse errors carry line and column", () => {
  try {
    parseModule("package p\n\nallow if {\n  x := \n}\n", { filename: "a.rego" });
    assert.unreachable("should have thrown");
  } catch (err) {
    assert.instance(err, RegoParseError);
    const e = err as RegoParseError;
    assert.is(e.line, 5);
    assert.is(e.col, 1);
    assert.is(e.file, "a.rego");
  }
});

test("v1 requires `if`; v0 accepts bodies without it; import rego.v1 switches v0 modules", () => {
  assert.throws(() => mod("package p\nallow { true }"), /`if` keyword is required/);
  const p = compile([mod("package p\nallow { true }", "v0")]);
  assert.is(evaluateValue(p, "data.p.allow"), true);
  assert.throws(() => mod("package p\nimport rego.v1\nallow { true }", "v0"), /`if` keyword is required/);
  const q = compile([mod("package p\nimport future.keywords.in\nallow { 1 in [1] }", "v0")]);
  assert.is(evaluateValue(q, "data.p.allow"), true);
});

test("disabled builtins are refused at compile time, naming the builtin", () => {
  for (const name of ["http.send", "time.now_ns", "opa.runtime", "rego.parse_module", "trace"]) {
    const args = name === "time.now_ns" || name === "opa.runtime" ? "" : name === "trace" ? '"x"' : "{}";
    try {
      compile([mod(`package p\nx := ${name}(${args})`)]);
      assert.unreachable(`${name} should be refused`);
    } catch (err) {
      assert.instance(err, RegoError);
      assert.is((err as RegoError).code, "rego_disabled_builtin");
      assert.ok((err as Error).message.includes(name));
    }
  }
  assert.throws(() => compile([mod("package p\nx := no_such_fn(1)")]), /could not find function no_such_fn/);
});

test("partial sets, objects, functions, else, default and every", () => {
  const p = compile([mod(`package p
deny contains msg if {
  some rc in input.changes
  rc.action == "delete"
  msg := sprintf("no delete of %s", [rc.name])
}
by_name[rc.name] := rc.action if some rc in input.changes
double(x) := x * 2
size := "big" if count(input.changes) > 2 else := "small"
default ok := false
ok if every rc in input.changes { rc.action != "replace" }
`)]);
  const input = { changes: [{ name: "a", action: "delete" }, { name: "b", action: "create" }] };
  const v = evaluateValue(p, "data.p", { input }) as Record<string, unknown>;
  assert.equal(v.deny, ["no delete of a"]);
  assert.equal(v.by_name, { a: "delete", b: "create" });
  assert.is(v.size, "small");
  assert.is(v.ok, true);
  assert.is(evaluateValue(p, "data.p.double(21)"), 42);
});

test("complete rule conflicts raise eval_conflict_error", () => {
  const p = compile([mod("package p\nx := 1 if true\nx := 2 if true")]);
  try {
    evaluate(p, "data.p.x");
    assert.unreachable();
  } catch (err) {
    assert.is((err as RegoError).code, "eval_conflict_error");
  }
});

test("with replaces input, data and functions (mocking as in opa test)", () => {
  const p = compile([mod(`package p
f(x) := x + 1
mock(x) := 100
r := f(1)
t1 if r == 100 with f as mock
t2 if data.cfg.limit == 5 with data.cfg.limit as 5
t3 if input.a == 1 with input.a as 1
t4 if upper("a") == "Z" with upper as "Z"
`)]);
  const v = evaluateValue(p, "data.p") as Record<string, unknown>;
  assert.is(v.r, 2);
  assert.is(v.t1, true);
  assert.is(v.t2, true);
  assert.is(v.t3, true);
  assert.is(v.t4, true);
});

test("evaluation is bounded: steps, deadline, collection size", () => {
  const p = compile([mod("package p\nxs := [x | some x in numbers.range(1, 100000)]")]);
  assert.throws(() => evaluate(p, "data.p.xs", { limits: { maxSteps: 1000 } }), (e: RegoError) => e.code === "eval_step_limit");
  assert.throws(() => evaluate(p, "data.p.xs", { limits: { maxCollectionSize: 500 } }), (e: RegoError) => e.code === "eval_size_limit");
  let now = 0;
  const clock = () => (now += 10);
  assert.throws(() => evaluate(p, "data.p.xs", { limits: { timeoutMs: 50, clock, checkInterval: 10 } }), (e: RegoError) => e.code === "eval_timeout");
});

test("sanitized() is the last 8 hex chars of SHA-256 (Spacelift masking)", () => {
  const p = compile([mod('package p\nx := sanitized("mysql")')]);
  assert.is(evaluateValue(p, "data.p.x"), "eae35047");
});

test("compiled policies are reusable across evaluations", () => {
  const p = compile([mod("package p\nallow if input.user == \"admin\"")]);
  assert.is(evaluateValue(p, "data.p.allow", { input: { user: "admin" } }), true);
  assert.is(evaluateValue(p, "data.p.allow", { input: { user: "bob" } }), undefined);
  assert.is(evaluateValue(p, "data.p.allow", { input: { user: "admin" } }), true);
});

test("strings, regex (RE2), glob, time and net builtins", () => {
  const p = compile([mod(`package p
a := sprintf("%s has %d items (%.2f%%) %v %q", ["list", 3, 12.345, [1, "x"], "q"])
b := regex.match("^feature/[a-z]+$", "feature/login")
c := glob.match("*.tf", ["/"], "modules/main.tf")
d := glob.match("**.tf", ["/"], "modules/main.tf")
e := time.format([time.parse_rfc3339_ns("2024-03-01T12:30:00Z"), "Europe/Warsaw", "2006-01-02 15:04 -07:00"])
f := net.cidr_contains("10.0.0.0/8", "10.1.2.3")
g := time.weekday(time.parse_rfc3339_ns("2024-03-01T12:30:00Z"))
h := units.parse_bytes("2KiB")
`)]);
  const v = evaluateValue(p, "data.p") as Record<string, unknown>;
  assert.is(v.a, 'list has 3 items (12.35%) [1, "x"] "q"');
  assert.is(v.b, true);
  assert.is(v.c, false);
  assert.is(v.d, true);
  assert.is(v.e, "2024-03-01 13:30 +01:00");
  assert.is(v.f, true);
  assert.is(v.g, "Friday");
  assert.is(v.h, 2048);
  assert.throws(() => compile([mod('package p\nx := regex.match("(a)\\\\1", "aa")')]) && evaluate(compile([mod('package p\nx := regex.match("(a)\\\\1", "aa")')]), "data.p.x", { strictBuiltinErrors: true }), /backreferences/);
});

test.run();
