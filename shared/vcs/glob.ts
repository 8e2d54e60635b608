// Which changed files affect a stack: anything under its project root, or matching one of its
// additional project globs (doublestar syntax: `*`, `**`, `?`, `[...]`, `{a,b}`), as Spacelift's
// default push policy decides.
const cache = new Map<string, RegExp>();

/** A glob as an anchored regular expression over '/'-separated paths. */
export function globToRegExp(glob: string): RegExp {
  const hit = cache.get(glob);
  if (hit) return hit;
  let re = "";
  let braces = 0;
  for (let i = 0; i < glob.length; i++) {
    const c = glob[i];
    if (c === "*") {
      if (glob[i + 1] === "*") {
        // `**/` matches zero or more directories; a trailing `**` matches everything below.
        const slash = glob[i + 2] === "/";
        re += slash ? "(?:.*/)?" : ".*";
        i += slash ? 2 : 1;
      } else {
        re += "[^/]*";
      }
    } else if (c === "?") {
      re += "[^/]";
    } else if (c === "[") {
      const end = glob.indexOf("]", i + 1);
      if (end === -1) re += "\\[";
      else {
        const body = glob.slice(i + 1, end).replace(/^!/, "^").replace(/\\/g, "\\\\");
        re += `[${body}]`;
        i = end;
      }
    } else if (c === "{") {
      braces++;
      re += "(?:";
    } else if (c === "}" && braces > 0) {
      braces--;
      re += ")";
    } else if (c === "," && braces > 0) {
      re += "|";
    } else {
      re += c.replace(/[.+^$()|\\\]{}]/g, "\\$&");
    }
  }
  const compiled = new RegExp(`^${re}$`);
  if (cache.size > 10_000) cache.clear();
  cache.set(glob, compiled);
  return compiled;
}

const normalise = (path: string) => path.replace(/^\.?\/+/, "").replace(/\/+$/, "");

/** Whether `file` (repository-relative) is under the project root or matches a glob. An empty root is the whole repository. */
export function affects(projectRoot: string, globs: readonly string[], file: string): boolean {
  const root = normalise(projectRoot);
  const path = normalise(file);
  if (root === "" || root === "." || path === root || path.startsWith(`${root}/`)) return true;
  return globs.some((g) => globToRegExp(normalise(g)).test(path));
}

export function affectedFiles(stack: Readonly<{ projectRoot: string; additionalProjectGlobs: readonly string[] }>, files: readonly string[]): string[] {
  return files.filter((f) => affects(stack.projectRoot, stack.additionalProjectGlobs, f));
}
