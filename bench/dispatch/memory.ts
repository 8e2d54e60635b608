// Phase 3: server memory per idle connected worker. A real server process (server/main.ts, built-in
// broker) gets N workers registered over HTTPS; the N workers (the lightweight ones of
// fake_workers.ts, in this process) then connect with their credentials, subscribe to their
// readonly topic and send heartbeats. The server's memory is read with none of them connected and
// with all N connected, and the difference divided by N.
//
// Readings: the process is preloaded with gc_on_signal.ts; each reading sends it SIGUSR2 (a full
// GC) and takes RSS (/proc/<pid>/status VmRSS: what the process holds, as the system counts it)
// and the V8 heap in use plus external memory (what is live). Each is the median of 3 readings
// once the process settled. Two warm-up rounds (all N connect, then leave) come first, so that
// per-process costs are not counted per worker: compiled code, the V8 heap grown to its working
// size, and above all the allocator's cache of the 16 MiB buffers of scrypt, which every broker
// login runs on one of libuv's threads (without warm-up, RSS moves by such steps at random and a
// round's difference can even be negative). Then 3 rounds of (none connected → all connected);
// the medians are reported. Both figures are printed because they err in opposite directions:
// RSS after warm-up does not count heap pages the process already had, so it can come out under
// the live figure; the live figure does not count the allocator's and V8's slack.
//
// Baseline: the same procedure for a bare aedes broker in its own process (bare_broker.ts), with N
// plain MQTT clients that subscribe to one topic and publish once each.
import mqtt, { type MqttClient } from "mqtt";
import { SYSTEM_ACTOR } from "../../shared/auth/roles.ts";
import { createWorkerPool } from "../../shared/workers/operations.ts";
import { startChild, tail, type Child } from "./children.ts";
import { connectWorkers, registerWorkers, type FakeWorker } from "./fake_workers.ts";
import { median, sleep, startGantry, waitUntil, type Scope } from "./support.ts";

export type MemoryReading = Readonly<{
  connections: number;
  /** KiB, the medians of the rounds. */
  rssBeforeKiB: number;
  rssAfterKiB: number;
  perConnectionKiB: number;
  /** V8 heap in use + external, after a full GC: KiB per connection (median of the rounds). */
  livePerConnectionKiB: number;
  /** Each round's RSS difference per connection, KiB. */
  rounds: readonly number[];
}>;

const SETTLE_MS = 1000;
const READINGS = 3;
const WARM_UP_CYCLES = 2;
const CYCLES = 3;
/** Node options of the measured processes: a full GC and a reading on SIGUSR2. */
const GC_ON_SIGNAL = ["--expose-gc", "--import", "./bench/dispatch/gc_on_signal.ts"];

type Reading = { rssKiB: number; liveKiB: number };

/** Readings the child prints (gc_on_signal.ts), in order. */
function memoryLines(child: Child): { rss: number; heapUsed: number; external: number }[] {
  const lines: { rss: number; heapUsed: number; external: number }[] = [];
  child.onLine((line) => {
    const json = /^gantry-bench-memory (\{.*\})$/.exec(line)?.[1];
    if (json) lines.push(JSON.parse(json));
  });
  return lines;
}

async function settledReading(child: Child, lines: ReturnType<typeof memoryLines>): Promise<Reading> {
  await sleep(SETTLE_MS);
  const readings: Reading[] = [];
  for (let i = 0; i < READINGS; i++) {
    const seen = lines.length;
    child.signal("SIGUSR2");
    await waitUntil(() => lines.length > seen, 10_000, `a memory reading from ${child.name}`, 5);
    const m = lines[lines.length - 1];
    readings.push({ rssKiB: child.rssKiB(), liveKiB: (m.heapUsed + m.external) / 1024 });
    await sleep(100);
  }
  return { rssKiB: median(readings.map((r) => r.rssKiB)), liveKiB: median(readings.map((r) => r.liveKiB)) };
}

/** Warm-up, then CYCLES rounds of (none connected → all connected). */
async function rounds(child: Child, n: number, connectAll: () => Promise<void>, disconnectAll: () => Promise<void>, progress: (line: string) => void): Promise<MemoryReading> {
  const lines = memoryLines(child);
  for (let c = 0; c < WARM_UP_CYCLES; c++) {
    await connectAll();
    await disconnectAll();
  }
  progress(`${child.name}: ${WARM_UP_CYCLES} warm-up rounds of ${n} connections done`);
  const befores: Reading[] = [];
  const afters: Reading[] = [];
  for (let c = 0; c < CYCLES; c++) {
    if (c > 0) await disconnectAll();
    befores.push(await settledReading(child, lines));
    await connectAll();
    afters.push(await settledReading(child, lines));
    progress(`${child.name}: round ${c + 1}: RSS ${befores[c].rssKiB} → ${afters[c].rssKiB} KiB`);
  }
  const per = (pick: (r: Reading) => number) => befores.map((b, i) => (pick(afters[i]) - pick(b)) / n);
  const rss = per((r) => r.rssKiB);
  return {
    connections: n,
    rssBeforeKiB: median(befores.map((r) => r.rssKiB)),
    rssAfterKiB: median(afters.map((r) => r.rssKiB)),
    perConnectionKiB: median(rss),
    livePerConnectionKiB: median(per((r) => r.liveKiB)),
    rounds: rss,
  };
}

export async function measureGantryMemory(scope: Scope, options: { workers: number; progress: (line: string) => void }): Promise<MemoryReading> {
  const gantry = await startGantry(scope, "server/main.ts", { kind: "builtin" }, GC_ON_SIGNAL);
  const { token } = await createWorkerPool(gantry.db.sql, SYSTEM_ACTOR, { name: "memory" }, { serverUrl: gantry.url, brokerEndpoint: gantry.brokerEndpoint });
  const registrations = await registerWorkers(gantry.url, token, options.workers);
  options.progress(`${options.workers} workers registered`);
  let workers: FakeWorker[] = [];
  scope.add(() => Promise.all(workers.map((w) => w.close())));
  const expect = async (n: number) => {
    await waitUntil(async () => {
      if (!gantry.child.running()) throw new Error(`the server exited:\n${tail(gantry.child.output())}`);
      return (await connectedClients(gantry.url)) === n;
    }, 60_000, `${n} clients on the built-in broker`);
  };
  const result = await rounds(
    gantry.child,
    options.workers,
    async () => {
      workers = await connectWorkers(registrations, {});
      await expect(options.workers);
    },
    async () => {
      await Promise.all(workers.splice(0).map((w) => w.close()));
      await expect(0);
    },
    options.progress,
  );
  return result;
}

export async function measureBareAedesMemory(scope: Scope, options: { connections: number; progress: (line: string) => void }): Promise<MemoryReading> {
  const child = startChild("bare aedes", "bench/dispatch/bare_broker.ts", {}, (stop) => scope.add(stop), GC_ON_SIGNAL);
  const port = Number(/listening on (\d+)/.exec(await child.waitForLine(/listening on \d+/, 30_000))![1]);
  const clients: MqttClient[] = [];
  scope.add(() => Promise.all(clients.map((c) => c.endAsync(true).catch(() => {}))));
  return rounds(
    child,
    options.connections,
    async () => {
      for (let i = 0; i < options.connections; i++) {
        const client = await mqtt.connectAsync(`mqtt://127.0.0.1:${port}`, { clientId: `bare-${i}`, reconnectPeriod: 0 });
        clients.push(client);
        await client.subscribeAsync(`gantry/readonly/pool/w${i}`, { qos: 1 });
        await client.publishAsync(`gantry/writeonly/pool/w${i}`, JSON.stringify({ type: "heartbeat", runId: null }), { qos: 1 });
      }
    },
    async () => {
      await Promise.all(clients.splice(0).map((c) => c.endAsync(true)));
      await sleep(200);
    },
    options.progress,
  );
}

/** gantry_mqtt_clients_connected from the server's /metrics. */
async function connectedClients(url: string): Promise<number> {
  const text = await (await fetch(`${url}/metrics`)).text();
  return Number(/^gantry_mqtt_clients_connected(?:\{[^}]*\})? (\d+)/m.exec(text)?.[1] ?? NaN);
}
