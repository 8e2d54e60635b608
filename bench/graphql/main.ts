// searchStacks(first: 50) over 10,000 stacks through /graphql (JSON parse, auth, validation,
// execution, serialisation) against a bare Hono route that returns the same rows from the same SQL
// function, both served over real HTTP from one process and loaded by concurrent clients from this
// one. The ratio is the cost of GraphQL and auth.
//   npm run bench -- graphql [--seconds=5] [--concurrency=16] [--rounds=2]
import { Hono } from "hono";
import { startScratchPostgres } from "../../shared/db/embedded.ts";
import { testDatabase } from "../../shared/db/testing.ts";
import { createLogger, memoryLogger } from "../../shared/log.ts";
import { listenHttp } from "../../shared/net/http.ts";
import { searchStacks } from "../../shared/stacks/queries.ts";
import { insertApiKey } from "../../shared/auth/queries.ts";
import { createApp } from "../../server/app.ts";
import { graphqlRoutes } from "../../server/graphql/routes.ts";
import { deriveKey } from "../../shared/secret_key.ts";

const arg = (name: string, fallback: number) => Number(process.argv.find((a) => a.startsWith(`--${name}=`))?.split("=")[1] ?? fallback);
const SECONDS = arg("seconds", 5);
const CONCURRENCY = arg("concurrency", 16);
const ROUNDS = arg("rounds", 2);
const STACKS = 10_000;

let stopPg = async () => {};
if (!process.env.DATABASE_URL && !process.env.GANTRY_TEST_DATABASE_URL) {
  const pg = await startScratchPostgres("gantry-bench-graphql", createLogger({ level: "warn" }));
  process.env.GANTRY_TEST_DATABASE_URL = pg.url;
  stopPg = pg.stop;
}
const db = await testDatabase({ max: 20 });
await db.sql`
  insert into stacks (id, space_id, name, description, labels, repository, branch)
  select 'stack-' || lpad(g::text, 5, '0'), 'root', 'Stack ' || lpad(g::text, 5, '0'), 'bench stack ' || g,
    array['team-' || (g % 10), 'env-' || (g % 3)], 'infra/stack-' || g, 'main'
  from generate_series(1, ${STACKS}) g`;
await db.sql`analyze`;

const publicUrl = "http://bench.local";
const jwtKey = deriveKey("bench-secret-key-that-is-long-enough-000", "jwt");
const bare = new Hono();
bare.get("/stacks", async (c) => c.json(await searchStacks(db.sql, null, { first: 50 })));
const app = createApp({
  sql: db.sql,
  log: memoryLogger(),
  mqtt: () => null,
  maxBodyBytes: 1024 * 1024,
  mounts: [
    ["/graphql", graphqlRoutes({ sql: db.sql, log: memoryLogger(), jwtKey, configKey: jwtKey, store: null, publicUrl, endpoints: { serverUrl: publicUrl, brokerEndpoint: "mqtt://localhost:1984" } })],
    ["/bare", bare],
  ],
});
const http = await listenHttp(app.fetch, "127.0.0.1", 0, "bench");
const base = `http://127.0.0.1:${http.port}`;

const { key, secret } = await insertApiKey(db.sql, "bench", { name: "bench", admin: true });
const login = await fetch(`${base}/graphql`, {
  method: "POST",
  headers: { "content-type": "application/json" },
  body: JSON.stringify({ query: "mutation ($id: ID!, $secret: String!) { apiKeyUser(id: $id, secret: $secret) { jwt } }", variables: { id: key.id, secret } }),
});
const token = ((await login.json()) as { data: { apiKeyUser: { jwt: string } } }).data.apiKeyUser.jwt;

const QUERY = `query { searchStacks(input: { first: 50 }) { edges { cursor node { id name description labels branch repository space } } pageInfo { endCursor hasNextPage } } }`;
const graphqlRequest = () =>
  fetch(`${base}/graphql`, {
    method: "POST",
    headers: { "content-type": "application/json", accept: "application/json", authorization: `Bearer ${token}` },
    body: JSON.stringify({ query: QUERY }),
  });
const bareRequest = () => fetch(`${base}/bare/stacks`);

// Both answer the same 50 stacks.
const g = (await (await graphqlRequest()).json()) as { data: { searchStacks: { edges: Array<{ node: { id: string } }> } } };
const b = (await (await bareRequest()).json()) as { edges: Array<{ stack: { id: string } }> };
const gIds = g.data.searchStacks.edges.map((e) => e.node.id).join();
if (gIds !== b.edges.map((e) => e.stack.id).join() || g.data.searchStacks.edges.length !== 50) throw new Error("GraphQL and the bare route disagree");

type Run = { rps: number; p50: number; p99: number };
async function load(request: () => Promise<Response>, seconds: number): Promise<Run> {
  const latencies: number[] = [];
  const deadline = performance.now() + seconds * 1000;
  await Promise.all(
    Array.from({ length: CONCURRENCY }, async () => {
      while (performance.now() < deadline) {
        const started = performance.now();
        const res = await request();
        await res.arrayBuffer();
        if (res.status !== 200) throw new Error(`status ${res.status}`);
        latencies.push(performance.now() - started);
      }
    }),
  );
  latencies.sort((x, y) => x - y);
  const at = (q: number) => latencies[Math.min(latencies.length - 1, Math.floor(q * latencies.length))];
  return { rps: latencies.length / seconds, p50: at(0.5), p99: at(0.99) };
}

const results: Record<"graphql" | "bare", Run[]> = { graphql: [], bare: [] };
try {
  await load(graphqlRequest, 1); // warm up both paths
  await load(bareRequest, 1);
  for (let round = 0; round < ROUNDS; round++) {
    const order = round % 2 === 0 ? (["graphql", "bare"] as const) : (["bare", "graphql"] as const);
    for (const which of order) results[which].push(await load(which === "graphql" ? graphqlRequest : bareRequest, SECONDS));
  }
} finally {
  await http.close();
  await db.drop();
  await stopPg();
}

const best = (runs: Run[]) => runs.reduce((a, r) => (r.rps > a.rps ? r : a));
const gq = best(results.graphql);
const br = best(results.bare);
console.log(`searchStacks(first: 50) over ${STACKS} stacks, ${CONCURRENCY} concurrent clients, ${SECONDS} s x ${ROUNDS} rounds (best round shown)`);
console.log("path        req/s    p50 ms   p99 ms");
for (const [name, r] of [["graphql", gq], ["bare hono", br]] as const) {
  console.log(`${name.padEnd(10)} ${r.rps.toFixed(0).padStart(6)} ${r.p50.toFixed(2).padStart(8)} ${r.p99.toFixed(2).padStart(8)}`);
}
console.log(
  `graphql: searchStacks(first:50) ${gq.rps.toFixed(0)} req/s p50 ${gq.p50.toFixed(1)} ms p99 ${gq.p99.toFixed(1)} ms; bare Hono ${br.rps.toFixed(0)} req/s p50 ${br.p50.toFixed(1)} ms p99 ${br.p99.toFixed(1)} ms; GraphQL+auth costs ${(br.rps / gq.rps).toFixed(2)}x throughput, ${(gq.p50 / br.p50).toFixed(2)}x p50`,
);
