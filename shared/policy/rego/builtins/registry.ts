// The table of builtins known to the compiler.

import { aggregateBuiltins } from "./aggregates.ts";
import type { Builtin, BuiltinTable } from "./builtin.ts";
import { collectionBuiltins } from "./collections.ts";
import { numberBuiltins } from "./numbers.ts";
import { sprintfBuiltins } from "./sprintf.ts";
import { stringBuiltins } from "./strings.ts";
import { typeBuiltins } from "./types.ts";
import { miscBuiltins } from "./misc.ts";
import { encodingBuiltins } from "./encoding.ts";
import { globBuiltins } from "./glob.ts";
import { jsonPatchBuiltins } from "./json_patch.ts";
import { netBuiltins } from "./net.ts";
import { regexBuiltins } from "./regex.ts";
import { semverBuiltins } from "./semver.ts";
import { timeBuiltins } from "./time.ts";
import { unitBuiltins } from "./units.ts";
import { uuidBuiltins } from "./uuid.ts";

const tables: BuiltinTable[] = [
  aggregateBuiltins,
  collectionBuiltins,
  numberBuiltins,
  sprintfBuiltins,
  stringBuiltins,
  typeBuiltins,
  miscBuiltins,
  encodingBuiltins,
  globBuiltins,
  jsonPatchBuiltins,
  netBuiltins,
  regexBuiltins,
  semverBuiltins,
  timeBuiltins,
  unitBuiltins,
  uuidBuiltins,
];

export const BUILTINS: ReadonlyMap<string, Builtin> = new Map(tables.flatMap((t) => Object.entries(t)));
