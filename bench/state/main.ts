// The state benchmark: write and read round-trips per second of a 1 MiB Terraform state through
// the managed state backend (a real server over HTTP, a run's credentials, filesystem storage,
// every write checked, stored as a new version and its outputs and resources derived), against
// the raw cost of writing (temp file, fsync, rename: what filesystem storage does) and reading
// the same bytes in the same run. See bench/README.md.
//
//   npm run bench -- state [--rounds=200] [--size-kib=1024]
//
// Uses DATABASE_URL (it must allow CREATE DATABASE) or else an embedded PostgreSQL in a temp dir.
// Prints a table and ends with one line of key figures.
import { closeSync, fsyncSync, mkdtempSync, openSync, readFileSync, renameSync, rmSync, writeSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { parseArgs } from "node:util";
import { startScratchPostgres, type EmbeddedPostgres } from "../../shared/db/embedded.ts";
import { ensureTemplate } from "../../shared/db/testing.ts";
import { createLogger } from "../../shared/log.ts";
import { basic, startStateHarness, type StateHarness } from "../../server/state_backend/testing.ts";

const { values: flags } = parseArgs({ args: process.argv.slice(3), options: { rounds: { type: "string", default: "200" }, "size-kib": { type: "string", default: "1024" } } });
const ROUNDS = Number(flags.rounds);
const SIZE = Number(flags["size-kib"]) * 1024;
if (!Number.isInteger(ROUNDS) || ROUNDS < 1 || !Number.isInteger(SIZE) || SIZE < 1024) {
  console.error("--rounds and --size-kib must be positive integers");
  process.exit(2);
}

/** A realistic state of about `size` bytes: terraform_data instances with a few attributes each. */
function stateOf(serial: number, size: number): Uint8Array {
  const instances: unknown[] = [];
  const resource = { mode: "managed", type: "terraform_data", name: "fleet", provider: 'provider["terraform.io/builtin/terraform"]', each: "list", instances };
  const doc = { version: 4, terraform_version: "1.11.4", serial, lineage: "b3c0a7d2-5e1f-4c3b-9a8d-000000000bench", outputs: { count: { value: 0, type: "number" } }, resources: [resource], check_results: null };
  let bytes = 0;
  for (let i = 0; bytes < size - 400; i++) {
    const instance = { index_key: i, schema_version: 0, attributes: { id: `id-${i.toString(16).padStart(8, "0")}`, input: { name: `server-${i}`, zone: `zone-${i % 3}`, tags: ["web", "prod"] }, output: null, triggers_replace: null }, sensitive_attributes: [] };
    instances.push(instance);
    bytes += JSON.stringify(instance).length + 1;
  }
  doc.outputs.count.value = instances.length;
  let text = JSON.stringify(doc);
  text = text.padEnd(size, " "); // exactly `size` bytes (trailing whitespace is valid JSON)
  return new TextEncoder().encode(text);
}

const percentile = (xs: number[], p: number) => [...xs].sort((a, b) => a - b)[Math.min(xs.length - 1, Math.floor((p / 100) * xs.length))];
const fmt = (n: number, digits = 1) => n.toFixed(digits);

type Figures = { writesPerSecond: number; readsPerSecond: number; roundTripsPerSecond: number; writeP50: number; readP50: number; writeP99: number; readP99: number };

function figures(writes: number[], reads: number[]): Figures {
  const sum = (xs: number[]) => xs.reduce((a, b) => a + b, 0);
  return {
    writesPerSecond: (writes.length * 1000) / sum(writes),
    readsPerSecond: (reads.length * 1000) / sum(reads),
    roundTripsPerSecond: (writes.length * 1000) / (sum(writes) + sum(reads)),
    writeP50: percentile(writes, 50),
    readP50: percentile(reads, 50),
    writeP99: percentile(writes, 99),
    readP99: percentile(reads, 99),
  };
}

async function gantry(h: StateHarness): Promise<Figures> {
  await h.stack("bench", {}, 1);
  const run = await h.take("bench", "TASK");
  const auth = basic(run.backend);
  const writes: number[] = [];
  const reads: number[] = [];
  for (let i = 0; i < ROUNDS + 5; i++) {
    const body = stateOf(i + 1, SIZE);
    let t = performance.now();
    const w = await fetch(run.backend.address, { method: "POST", headers: { authorization: auth, "content-type": "application/json" }, body: body as Uint8Array<ArrayBuffer> });
    if (w.status !== 200) throw new Error(`write ${i}: HTTP ${w.status} ${await w.text()}`);
    await w.arrayBuffer();
    const wrote = performance.now() - t;
    t = performance.now();
    const r = await fetch(run.backend.address, { headers: { authorization: auth } });
    const got = new Uint8Array(await r.arrayBuffer());
    if (r.status !== 200 || got.length !== body.length) throw new Error(`read ${i}: HTTP ${r.status}, ${got.length} bytes`);
    const read = performance.now() - t;
    if (i >= 5) {
      writes.push(wrote); // the first five warm up connections and JIT
      reads.push(read);
    }
  }
  return figures(writes, reads);
}

function raw(dir: string): Figures {
  const writes: number[] = [];
  const reads: number[] = [];
  const target = join(dir, "raw.tfstate");
  for (let i = 0; i < ROUNDS + 5; i++) {
    const body = stateOf(i + 1, SIZE);
    let t = performance.now();
    const temp = join(dir, `.tmp-${i}`);
    const fd = openSync(temp, "w", 0o600);
    writeSync(fd, body);
    fsyncSync(fd);
    closeSync(fd);
    renameSync(temp, target);
    const wrote = performance.now() - t;
    t = performance.now();
    const got = readFileSync(target);
    if (got.length !== body.length) throw new Error("raw read");
    const read = performance.now() - t;
    if (i >= 5) {
      writes.push(wrote);
      reads.push(read);
    }
  }
  return figures(writes, reads);
}

const log = createLogger({ level: "warn" });
let embedded: EmbeddedPostgres | null = null;
if (!process.env.DATABASE_URL && !process.env.GANTRY_TEST_DATABASE_URL) {
  embedded = await startScratchPostgres("gantry-bench-state", log);
  process.env.GANTRY_TEST_DATABASE_URL = embedded.url;
}
const scratch = mkdtempSync(join(tmpdir(), "gantry-bench-state-"));
let h: StateHarness | null = null;
try {
  await ensureTemplate();
  h = await startStateHarness({ OBJECT_STORAGE_TYPE: "filesystem", OBJECT_STORAGE_FILESYSTEM_ROOT: join(scratch, "objects"), STATE_MAX_BYTES: String(SIZE * 2) });
  console.log(`state: ${ROUNDS} rounds of write + read, ${SIZE} bytes per state, filesystem storage under ${tmpdir()}`);
  const measured = await gantry(h);
  const baseline = raw(scratch);
  const rows: Array<[string, Figures]> = [["gantry /state (HTTP)", measured], ["raw fs (fsync+rename, read)", baseline]];
  console.log("\n| system | round-trips/s | writes/s | reads/s | write p50 / p99 ms | read p50 / p99 ms |");
  console.log("|---|---|---|---|---|---|");
  for (const [name, f] of rows) {
    console.log(`| ${name} | ${fmt(f.roundTripsPerSecond)} | ${fmt(f.writesPerSecond)} | ${fmt(f.readsPerSecond)} | ${fmt(f.writeP50, 2)} / ${fmt(f.writeP99, 2)} | ${fmt(f.readP50, 2)} / ${fmt(f.readP99, 2)} |`);
  }
  const share = (100 * measured.roundTripsPerSecond) / baseline.roundTripsPerSecond;
  console.log(
    `\nstate: ${fmt(measured.roundTripsPerSecond)} round-trips/s for ${SIZE / 1024} KiB (write ${fmt(measured.writesPerSecond)}/s p50 ${fmt(measured.writeP50, 2)} ms, read ${fmt(measured.readsPerSecond)}/s p50 ${fmt(measured.readP50, 2)} ms) = ${fmt(share)}% of raw fs ${fmt(baseline.roundTripsPerSecond)} round-trips/s (write ${fmt(baseline.writesPerSecond)}/s, read ${fmt(baseline.readsPerSecond)}/s)`,
  );
} finally {
  await h?.close();
  rmSync(scratch, { recursive: true, force: true });
  await embedded?.stop();
}
process.exit(0);
