// For the worker's tests: a Git repository made from files, an object store standing in for
// pre-signed URLs (a tiny HTTP server keeping what is PUT), a run spec with defaults, and a channel
// that records what the executor tells the server.
import { Buffer } from "node:buffer";
import { execFileSync } from "node:child_process";
import { createServer, type Server } from "node:http";
import { mkdirSync, readFileSync, writeFileSync } from "node:fs";
import { dirname, join } from "node:path";
import type { AddressInfo } from "node:net";
import type { Output, PlanSummary, RunHooks, RunSpec, StateReport } from "../shared/workers/protocol.ts";
import type { RunChannel } from "./execute.ts";

export function hasCommand(command: string): boolean {
  try {
    execFileSync("sh", ["-c", `command -v ${command}`], { stdio: "ignore" });
    return true;
  } catch {
    return false;
  }
}

/** Whether a process has ended (a zombie no one reaps counts as ended). */
export function gone(pid: number): boolean {
  try {
    process.kill(pid, 0);
  } catch {
    return true;
  }
  try {
    return /^\d+ \(.*\) Z/.test(readFileSync(`/proc/${pid}/stat`, "utf8"));
  } catch {
    return true;
  }
}

const GIT_ENV = { ...process.env, GIT_AUTHOR_NAME: "t", GIT_AUTHOR_EMAIL: "t@example.com", GIT_COMMITTER_NAME: "t", GIT_COMMITTER_EMAIL: "t@example.com", GIT_CONFIG_NOSYSTEM: "1" };

/** A repository at `dir` on branch main; each commit writes the given files. Returns the commits' shas. */
export function makeRepository(dir: string, commits: ReadonlyArray<Readonly<Record<string, string>>>): string[] {
  const git = (args: string[]) => execFileSync("git", args, { cwd: dir, env: GIT_ENV }).toString().trim();
  mkdirSync(dir, { recursive: true });
  git(["init", "--quiet", "-b", "main", dir]);
  return commits.map((files, i) => {
    for (const [path, text] of Object.entries(files)) {
      mkdirSync(dirname(join(dir, path)), { recursive: true });
      writeFileSync(join(dir, path), text);
    }
    git(["add", "-A"]);
    git(["commit", "--quiet", "--allow-empty", "-m", `commit ${i}`]);
    return git(["rev-parse", "HEAD"]);
  });
}

export type ObjectStore = Readonly<{
  /** A URL for `key` with a signature-like query the code must never log. */
  url(key: string): string;
  objects: Map<string, Buffer>;
  requests: string[];
  close(): Promise<void>;
}>;

export const SIGNATURE = "X-Signature=do-not-log-me";

export async function objectStore(): Promise<ObjectStore> {
  const objects = new Map<string, Buffer>();
  const requests: string[] = [];
  const server: Server = createServer((req, res) => {
    const key = decodeURIComponent(new URL(req.url ?? "/", "http://x").pathname.slice(1));
    requests.push(`${req.method} ${key}`);
    if (!(req.url ?? "").includes(SIGNATURE)) return res.writeHead(403).end();
    if (req.method === "PUT") {
      const chunks: Buffer[] = [];
      req.on("data", (c: Buffer) => chunks.push(c));
      req.on("end", () => {
        objects.set(key, Buffer.concat(chunks));
        res.writeHead(200).end();
      });
      return;
    }
    const body = objects.get(key);
    if (req.method !== "GET" || !body) return res.writeHead(404).end();
    res.writeHead(200, { "content-length": body.length }).end(body);
  });
  await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
  const port = (server.address() as AddressInfo).port;
  return {
    url: (key) => `http://127.0.0.1:${port}/${encodeURIComponent(key)}?${SIGNATURE}`,
    objects,
    requests,
    close: () => new Promise((resolve) => server.close(() => resolve())),
  };
}

export const NO_HOOKS: RunHooks = Object.freeze({
  beforeInit: [], afterInit: [], beforePlan: [], afterPlan: [], beforeApply: [], afterApply: [],
  beforeDestroy: [], afterDestroy: [], beforePerform: [], afterPerform: [], afterRun: [],
});

export type SpecOverrides = Omit<Partial<RunSpec>, "repository" | "hooks" | "urls" | "timeouts"> & {
  repository?: Partial<RunSpec["repository"]>;
  hooks?: Partial<RunHooks>;
  urls?: Partial<RunSpec["urls"]>;
  timeouts?: Partial<RunSpec["timeouts"]>;
};

/** A run spec: a task on an OpenTofu stack unless told otherwise; `url` is the repository's clone URL. */
export function runSpec(url: string, over: SpecOverrides = {}): RunSpec {
  return {
    id: "01RUN",
    stackId: "s",
    type: "TASK",
    state: over.phase === "apply" ? "PREPARING_APPLY" : "PREPARING",
    phase: "plan",
    command: "true",
    skipInitialization: false,
    vendor: "OPENTOFU",
    vendorConfig: {},
    autodeploy: false,
    environment: [],
    files: [],
    ...over,
    repository: { url, branch: "main", sha: null, projectRoot: "", ...over.repository },
    hooks: { ...NO_HOOKS, ...over.hooks },
    urls: { workspaceUpload: null, workspaceDownload: null, planUpload: null, localStateDownload: null, localStateUpload: null, ...over.urls },
    timeouts: { runSeconds: 600, noOutputSeconds: 300, ...over.timeouts },
  };
}

export type Recorded = { reports: StateReport[]; plans: PlanSummary[]; outputSets: Output[][] };

/** A channel that records what the executor tells the server; state versions count per state. */
export function recordingChannel(options: { onReport?: (report: StateReport) => void } = {}): RunChannel & Recorded {
  const recorded: Recorded = { reports: [], plans: [], outputSets: [] };
  const versions = new Map<string, number>();
  return {
    ...recorded,
    report: async (report) => {
      recorded.reports.push(report);
      options.onReport?.(report);
      const version = (versions.get(report.state) ?? 0) + 1;
      versions.set(report.state, version);
      return { state: report.state, stateVersion: version };
    },
    plan: async (summary) => void recorded.plans.push(summary),
    outputs: async (outputs) => void recorded.outputSets.push([...outputs]),
  };
}
