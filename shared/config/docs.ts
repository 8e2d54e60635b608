// Renders docs/configuration.md from the variable table; scripts/config_docs.ts writes it and a
// test compares the committed file with this rendering.
import { VARIABLES } from "./variables.ts";

export function renderConfigDocs(): string {
  const shown = (v: (typeof VARIABLES)[number]) =>
    v.shownDefault ?? (v.default === null ? "(unset)" : typeof v.default === "function" ? "(derived)" : `\`${String(v.default)}\``);
  const rows = VARIABLES.map((v) => `| \`${v.name}\`${v.secret ? ` (or \`${v.name}_FILE\`)` : ""} | ${shown(v)} | ${v.doc.replace(/\|/g, "\\|")} |`);
  return [
    "# Configuration",
    "",
    "Every process reads its configuration once, at start, from the environment, into one frozen and",
    "validated object (`shared/config/config.ts`). An invalid value stops the process with exit code 2",
    "and a message that names the variable. Secrets can also be given as a file: set `<NAME>_FILE` to",
    "its path (setting both is an error). Names follow Spacelift Self-Hosted's where one exists.",
    "",
    "This page is generated from `shared/config/variables.ts` by `npm run docs:config`; a test fails",
    "when it is out of date.",
    "",
    "| variable | default | meaning |",
    "|---|---|---|",
    ...rows,
    "",
  ].join("\n");
}

