// Writes schema.graphql from the code: `npx tsx server/graphql/print_schema.ts`. schema_test.ts
// fails when the committed file and the code disagree.
import { writeFileSync } from "node:fs";
import { printSchema } from "graphql";
import { buildGantrySchema } from "./schema.ts";

export const SCHEMA_FILE = new URL("./schema.graphql", import.meta.url);
export const printedSchema = (): string => `${printSchema(buildGantrySchema())}\n`;

if (import.meta.url === `file://${process.argv[1]}`) {
  writeFileSync(SCHEMA_FILE, printedSchema());
  console.log("wrote server/graphql/schema.graphql");
}
