// Cloning over HTTPS-style basic auth: a small HTTP server in front of `git http-backend` that
// demands credentials. git gets them through GIT_ASKPASS, never in the URL or its arguments, and
// the token stays out of the clone's configuration and of errors.
import { test } from "uvu";
import * as assert from "uvu/assert";
import { Buffer } from "node:buffer";
import { execFileSync, spawn } from "node:child_process";
import { mkdtempSync, readFileSync, rmSync } from "node:fs";
import { createServer, type Server } from "node:http";
import type { AddressInfo } from "node:net";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { gitCredentials } from "./environment.ts";
import { cloneCommit } from "./git.ts";
import { hasCommand, makeRepository, runSpec } from "./testing.ts";

const TOKEN = "ghp_notARealTokenButSecret123";
const dir = mkdtempSync(join(tmpdir(), "gantry-git-"));
const ready = hasCommand("git");
let server: Server | null = null;
let base = "";
const seen: string[] = [];
let sha = "";

test.before(async () => {
  if (!ready) return;
  [sha] = makeRepository(join(dir, "work"), [{ "hello.txt": "hello\n" }]);
  execFileSync("git", ["clone", "--quiet", "--bare", join(dir, "work"), join(dir, "served", "repo.git")]);
  const backend = join(execFileSync("git", ["--exec-path"]).toString().trim(), "git-http-backend");
  server = createServer((req, res) => {
    const url = new URL(req.url ?? "/", "http://x");
    seen.push(`${req.method} ${req.url}`);
    const auth = req.headers.authorization ?? "";
    if (auth !== `Basic ${Buffer.from(`x-access-token:${TOKEN}`).toString("base64")}`) {
      return res.writeHead(401, { "www-authenticate": 'Basic realm="git"' }).end();
    }
    const cgi = spawn(backend, [], {
      env: {
        PATH: process.env.PATH,
        GIT_PROJECT_ROOT: join(dir, "served"),
        GIT_HTTP_EXPORT_ALL: "1",
        REQUEST_METHOD: req.method,
        PATH_INFO: url.pathname,
        QUERY_STRING: url.search.slice(1),
        CONTENT_TYPE: req.headers["content-type"] ?? "",
        HTTP_GIT_PROTOCOL: (req.headers["git-protocol"] as string | undefined) ?? "",
        REMOTE_USER: "x-access-token",
      },
    });
    req.pipe(cgi.stdin);
    const chunks: Buffer[] = [];
    cgi.stdout.on("data", (c: Buffer) => chunks.push(c));
    cgi.on("close", () => {
      const out = Buffer.concat(chunks);
      const split = out.indexOf("\r\n\r\n");
      const headers: Record<string, string> = {};
      let status = 200;
      for (const line of out.subarray(0, split).toString().split("\r\n")) {
        const [name, ...rest] = line.split(":");
        if (name.toLowerCase() === "status") status = Number(rest.join(":").trim().split(" ")[0]);
        else if (name) headers[name] = rest.join(":").trim();
      }
      res.writeHead(status, headers).end(out.subarray(split + 4));
    });
  });
  await new Promise<void>((resolve) => server!.listen(0, "127.0.0.1", resolve));
  base = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
});
test.after(async () => {
  await new Promise<void>((resolve) => (server ? server.close(() => resolve()) : resolve()));
  rmSync(dir, { recursive: true, force: true });
});

const env = { PATH: process.env.PATH ?? "", HOME: dir };

test("credentials from the stack's GANTRY_GIT_TOKEN reach git through askpass; the URL and config never hold them", async () => {
  if (!ready) return console.log("SKIP: git is not installed");
  const run = runSpec(`${base}/repo.git`, { environment: [{ name: "GANTRY_GIT_TOKEN", value: TOKEN, secret: true }] });
  const target = join(dir, "clone-1");
  const commit = await cloneCommit({ url: run.repository.url!, branch: "main", sha, dir: target, signal: new AbortController().signal, env, credentials: gitCredentials(run), scratch: dir });
  assert.is(commit, sha);
  assert.is(readFileSync(join(target, "hello.txt"), "utf8"), "hello\n");
  assert.not.match(readFileSync(join(target, ".git", "config"), "utf8"), new RegExp(TOKEN));
  assert.ok(seen.every((s) => !s.includes(TOKEN)));
});

test("credentials written into the URL are taken out of it and used the same way", async () => {
  if (!ready) return console.log("SKIP: git is not installed");
  const url = `${base.replace("http://", `http://x-access-token:${TOKEN}@`)}/repo.git`;
  const target = join(dir, "clone-2");
  const credentials = gitCredentials(runSpec(url));
  assert.equal(credentials, { username: "x-access-token", password: TOKEN });
  await cloneCommit({ url, branch: "main", sha: null, dir: target, signal: new AbortController().signal, env, credentials, scratch: dir });
  assert.not.match(readFileSync(join(target, ".git", "config"), "utf8"), new RegExp(TOKEN));
});

test("without credentials, or with wrong ones, the clone fails without prompting or echoing them", async () => {
  if (!ready) return console.log("SKIP: git is not installed");
  const none = cloneCommit({ url: `${base}/repo.git`, branch: "main", sha: null, dir: join(dir, "clone-3"), signal: new AbortController().signal, env, credentials: null, scratch: dir });
  await none.then(() => assert.unreachable("cloned without credentials"), (error: Error) => assert.match(error.message, /git clone failed/));
  const wrong = cloneCommit({ url: `${base}/repo.git`, branch: "main", sha: null, dir: join(dir, "clone-4"), signal: new AbortController().signal, env, credentials: { username: "x-access-token", password: "wrong-token-value" }, scratch: dir });
  await wrong.then(() => assert.unreachable("cloned with a wrong token"), (error: Error) => assert.not.match(error.message, /wrong-token-value/));
});

test.run();
