// Finding a tool's binary the way a shell would: a path is taken as it is, a name is looked up in
// the run's PATH.
import { accessSync, constants, statSync } from "node:fs";
import { delimiter, isAbsolute, join, resolve } from "node:path";

const executable = (path: string): boolean => {
  try {
    accessSync(path, constants.X_OK);
    return statSync(path).isFile();
  } catch {
    return false;
  }
};

/** The binary's path, or null when there is none. `PATH` is the run's search path. */
export function findExecutable(binary: string, PATH: string | undefined, cwd: string = process.cwd()): string | null {
  if (binary.includes("/")) {
    const path = isAbsolute(binary) ? binary : resolve(cwd, binary);
    return executable(path) ? path : null;
  }
  for (const dir of (PATH ?? "").split(delimiter)) {
    if (dir && executable(join(dir, binary))) return join(dir, binary);
  }
  return null;
}
