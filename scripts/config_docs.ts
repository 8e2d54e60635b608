// `npm run docs:config`: rewrites docs/configuration.md from shared/config/variables.ts.
import { writeFileSync } from "node:fs";
import { fileURLToPath } from "node:url";
import { renderConfigDocs } from "../shared/config/docs.ts";

const target = fileURLToPath(new URL("../docs/configuration.md", import.meta.url));
writeFileSync(target, renderConfigDocs());
console.log(`wrote ${target}`);
