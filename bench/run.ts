// The benchmark dispatcher: `npm run bench -- <name> [args...]` runs bench/<name>/main.ts, which
// reads its own arguments from process.argv after the name. A bad or missing name lists the
// benchmarks and exits with 2.
import { existsSync, readdirSync } from "node:fs";
import { join } from "node:path";
import { fileURLToPath } from "node:url";

const here = fileURLToPath(new URL(".", import.meta.url));
const available = readdirSync(here, { withFileTypes: true })
  .filter((entry) => entry.isDirectory() && existsSync(join(here, entry.name, "main.ts")))
  .map((entry) => entry.name)
  .sort();

const name = process.argv[2];
if (!name || !available.includes(name)) {
  console.error(`${name ? `unknown benchmark "${name}"` : "no benchmark named"}; usage: npm run bench -- <name>`);
  console.error(`benchmarks: ${available.join(", ") || "(none)"}`);
  process.exit(2);
}
await import(`./${name}/main.ts`);
