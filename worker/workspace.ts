// The run's directory on the worker (Spacelift's /mnt/workspace): the clone in `source/`, the
// stack's mounted files relative to the root, the project root inside the clone, and the archive
// of it all that carries a tracked run from its plan to its apply, possibly on another worker.
import { Buffer } from "node:buffer";
import { execFile } from "node:child_process";
import { lstat, mkdir, mkdtemp, realpath, unlink, writeFile } from "node:fs/promises";
import { dirname, isAbsolute, join, relative, resolve, sep } from "node:path";
import type { MountedFile } from "../shared/workers/protocol.ts";

/** The plan file a tracked run keeps for its apply, relative to the workspace root. */
export const PLAN_FILE = "spacelift.plan";

export class WorkspaceError extends Error {}

const inside = (parent: string, child: string): boolean => {
  const rel = relative(parent, child);
  return rel === "" || (!rel.startsWith(`..${sep}`) && rel !== ".." && !isAbsolute(rel));
};

/** A fresh directory for one phase of the run. */
export async function freshDirectory(workDir: string, runId: string): Promise<string> {
  await mkdir(workDir, { recursive: true });
  return realpath(await mkdtemp(join(workDir, `run-${runId}-`)));
}

/** The project root inside the clone; refused when it leaves the repository (by `..` or a symlink). */
export async function projectDirectory(source: string, projectRoot: string): Promise<string> {
  const dir = resolve(source, projectRoot || ".");
  if (!inside(source, dir)) throw new WorkspaceError("the stack's project root leaves the repository");
  let real: string;
  try {
    real = await realpath(dir);
  } catch {
    throw new WorkspaceError(`the stack's project root ${projectRoot} does not exist in the repository`);
  }
  if (!inside(await realpath(source), real)) throw new WorkspaceError("the stack's project root leaves the repository");
  return real;
}

/**
 * Writes the mounted files relative to the workspace root, over what the repository holds there.
 * A path that is absolute, climbs out with `..`, or leads out through a symlink is refused.
 */
export async function writeMountedFiles(root: string, files: readonly MountedFile[]): Promise<void> {
  const realRoot = await realpath(root);
  for (const file of files) {
    const target = resolve(realRoot, file.path);
    if (isAbsolute(file.path) || !inside(realRoot, target) || target === realRoot) {
      throw new WorkspaceError(`mounted file ${JSON.stringify(file.path)} is not a path inside the workspace`);
    }
    await mkdir(dirname(target), { recursive: true });
    if (!inside(realRoot, await realpath(dirname(target)))) {
      throw new WorkspaceError(`mounted file ${JSON.stringify(file.path)} leads out of the workspace through a symlink`);
    }
    const existing = await lstat(target).catch(() => null);
    if (existing?.isSymbolicLink()) await unlink(target);
    else if (existing?.isDirectory()) throw new WorkspaceError(`mounted file ${JSON.stringify(file.path)} is a directory in the workspace`);
    await writeFile(target, Buffer.from(file.contentBase64, "base64"), { mode: file.secret ? 0o600 : 0o644 });
  }
}

function tar(args: string[], signal: AbortSignal): Promise<void> {
  return new Promise((resolve, reject) => {
    execFile("tar", args, { signal, maxBuffer: 1024 * 1024 }, (error, _stdout, stderr) => {
      if (error) return reject(new WorkspaceError(`tar failed: ${signal.aborted ? "stopped" : (stderr || error.message).trim().split("\n").slice(-2).join(" ")}`));
      resolve();
    });
  });
}

/** A tar.gz of the whole workspace root (the clone with .git and .terraform, mounted files, the plan). */
export async function archiveWorkspace(root: string, archive: string, signal: AbortSignal): Promise<void> {
  await tar(["-czf", archive, "-C", root, "."], signal);
}

/** Unpacks an archive made by archiveWorkspace into `root`. */
export async function extractWorkspace(archive: string, root: string, signal: AbortSignal): Promise<void> {
  await tar(["-xzf", archive, "-C", root, "--no-same-owner"], signal);
}
