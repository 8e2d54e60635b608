import { test } from "uvu";
import * as assert from "uvu/assert";
import { chmodSync, existsSync, mkdtempSync, readFileSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { startEntrypoint } from "../testing/process.ts";
import { waitFor } from "../testing/wait.ts";

const dirs: string[] = [];
function dataDir(mode = 0o755): string {
  const dir = mkdtempSync(join(tmpdir(), "gantry-embedded-"));
  chmodSync(dir, mode);
  dirs.push(dir);
  return dir;
}
test.after(() => dirs.forEach((d) => rmSync(d, { recursive: true, force: true })));

// Only the embedded path matters here: no DATABASE_URL, whatever the suite runs against.
const env = (dir: string) => ({ GANTRY_DATA_DIR: dir, LOG_FORMAT: "json", DATABASE_URL: "" });

function postmasterPid(pgdata: string): number | null {
  const file = join(pgdata, "postmaster.pid");
  if (!existsSync(file)) return null;
  const pid = Number(readFileSync(file, "utf8").split("\n")[0]);
  try {
    process.kill(pid, 0);
    return pid;
  } catch {
    return null;
  }
}

function uidOf(pid: number): number {
  const line = readFileSync(`/proc/${pid}/status`, "utf8").split("\n").find((l) => l.startsWith("Uid:"))!;
  return Number(line.split(/\s+/)[1]);
}

test("a postmaster left behind by kill -9 does not block the next start", async () => {
  const dir = dataDir();
  const first = startEntrypoint("drain/main.ts", env(dir));
  await first.waitForLine(/drain started/, 60_000);
  const pgdata = join(dir, "postgres");
  const orphan = postmasterPid(pgdata);
  assert.ok(orphan, "postgres runs");
  if (process.getuid?.() === 0) assert.is.not(uidOf(orphan!), 0, "as root, PostgreSQL runs as an unprivileged user");
  first.kill("SIGKILL");
  await first.exited;
  assert.is(postmasterPid(pgdata), orphan, "the postmaster outlived its parent");

  const second = startEntrypoint("drain/main.ts", env(dir));
  try {
    await second.waitForLine(/stopping a PostgreSQL left behind/, 30_000);
    await second.waitForLine(/drain started/, 60_000);
    const fresh = postmasterPid(pgdata);
    assert.ok(fresh && fresh !== orphan, "a new postmaster serves the new process");
    second.kill("SIGTERM");
    assert.is((await second.exited).code, 0);
    await waitFor(() => postmasterPid(pgdata) === null, { timeoutMs: 15_000, what: "the embedded PostgreSQL to stop with its process" });
  } finally {
    second.kill();
  }
});

test("a data directory the PostgreSQL user cannot reach moves PostgreSQL's files, and says where", async () => {
  if (process.getuid?.() !== 0) {
    console.log("SKIP: only meaningful when running as root (PostgreSQL then runs as another user)");
    return;
  }
  const dir = dataDir(0o700);
  const child = startEntrypoint("drain/main.ts", env(dir));
  try {
    const line = await child.waitForLine(/not reachable by the unprivileged PostgreSQL user/, 30_000);
    await child.waitForLine(/drain started/, 60_000);
    const moved = JSON.parse(line).data as string;
    assert.ok(moved && !moved.startsWith(dir));
    child.kill("SIGTERM");
    assert.is((await child.exited).code, 0);
    rmSync(moved, { recursive: true, force: true });
  } finally {
    child.kill();
  }
});

test("two processes on one data directory share one embedded PostgreSQL", async () => {
  const dir = dataDir();
  const drain = startEntrypoint("drain/main.ts", env(dir));
  const scheduler = startEntrypoint("scheduler/main.ts", env(dir));
  try {
    await drain.waitForLine(/drain started/, 60_000);
    await scheduler.waitForLine(/leadership acquired/, 60_000);
    const output = drain.output() + scheduler.output();
    assert.is(output.match(/embedded PostgreSQL is up/g)?.length, 1, "started once");
    assert.match(output, /sharing the embedded PostgreSQL/);
  } finally {
    scheduler.kill("SIGTERM");
    await scheduler.exited;
    drain.kill("SIGTERM");
    await drain.exited;
  }
});

test.run();
