// postinstall: mends known bugs in installed dependencies, idempotently. Each patch names the
// upstream report; remove it once a fixed release is pinned.
//
// postgres.js 3.4.9 (porsager/postgres#1154, #1208): a small write is deferred with setImmediate;
// when the connection closes first, closed() nulls the socket but leaves the timer armed, and the
// deferred nextWrite() then throws an uncatchable TypeError that kills the process. This happens
// whenever PostgreSQL restarts under load. The patch settles such a write as CONNECTION_CLOSED
// (the caller gets a normal, retryable error) and disarms the timer on teardown.
// Also: the array-type lookup each new connection runs is started from a synchronous message
// handler, so a connection lost during it surfaced as an unhandled rejection (fatal in Node);
// the patch catches it, and the lookup runs again on the reconnect.
import { readFileSync, writeFileSync, existsSync } from "node:fs";
import { fileURLToPath } from "node:url";

const root = fileURLToPath(new URL("../node_modules/postgres/", import.meta.url));
const MARK = "/* gantry: null-socket guard */";
let patched = 0;
for (const file of ["src/connection.js", "cjs/src/connection.js", "cf/src/connection.js"]) {
  const path = root + file;
  if (!existsSync(path)) continue;
  let text = readFileSync(path, "utf8");
  if (text.includes(MARK)) continue;
  const before = text;
  text = text.replace(
    "  function nextWrite(fn) {\n    const x = socket.write(chunk, fn)",
    `  function nextWrite(fn) {\n    ${MARK}\n    if (!socket) {\n      nextWriteTimer !== null && clearImmediate(nextWriteTimer)\n      chunk = nextWriteTimer = null\n      error(Errors.connection('CONNECTION_CLOSED', options))\n      return false\n    }\n    const x = socket.write(chunk, fn)`,
  );
  text = text.replace(
    "    types.forEach(({ oid, typarray }) => addArrayType(oid, typarray))",
    "    .catch(() => (needsTypes = true, null))\n    types && types.forEach(({ oid, typarray }) => addArrayType(oid, typarray))",
  );
  text = text.replaceAll("    clearImmediate(nextWriteTimer)\n", "    clearImmediate(nextWriteTimer)\n    nextWriteTimer = null\n    chunk = null\n");
  if (text === before || !text.includes(MARK)) {
    console.error(`patch_dependencies: postgres ${file} did not match; check whether the pinned version changed`);
    process.exit(1);
  }
  writeFileSync(path, text);
  patched++;
}
if (patched) console.log(`patch_dependencies: patched postgres.js (${patched} files)`);
