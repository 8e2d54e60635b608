// The worker's run logs without a server: masking (split writes, overlapping secrets, held-back
// prefixes under a forced flush), chunk limits (64 KiB, about a second), URL batches fetched ahead,
// retries, refusals and redaction. The same code against a real server and object storage is
// tested in shared/logs/logs_test.ts.
import { test } from "uvu";
import * as assert from "uvu/assert";
import { memoryLogger } from "../shared/log.ts";
import { decodeChunk } from "../shared/logs/chunk.ts";
import { MAX_LOG_CHUNK_BYTES, MAX_LOG_URLS, type LogUrlsRequest } from "../shared/workers/protocol.ts";
import { waitFor } from "../shared/testing/wait.ts";
import { createRunLogs, LogStreams, loggerRunLogs, MASK, redactUrl, SecretMasker } from "./logs.ts";

type Shipped = { state: string; text: string; timestamp: number; at: number };
function streams(secrets: string[], options: Record<string, number> = {}) {
  const shipped: Shipped[] = [];
  const s = new LogStreams({ secrets, ...options }, (id, text, timestamp) => shipped.push({ state: id.state, text, timestamp, at: Date.now() }));
  return { s, shipped, text: () => shipped.map((c) => c.text).join("") };
}

test("mask: every occurrence, longer and overlapping secrets as one, empty secrets ignored", () => {
  const m = new SecretMasker(["", "abc", "abcdef", "defgh", "x"]);
  assert.is(m.mask("1 abc 2 abcdef 3 abcdefgh 4 x"), `1 ${MASK} 2 ${MASK} 3 ${MASK} 4 ${MASK}`);
  assert.is(new SecretMasker([""]).mask("nothing to hide"), "nothing to hide");
  assert.is(new SecretMasker(["aa"]).mask("aaa"), MASK, "overlapping occurrences of one secret");
});

test("safeLength holds back exactly what could still become a secret", () => {
  const m = new SecretMasker(["hunter2", "-----BEGIN\nKEY"]);
  assert.is(m.safeLength("hello hun"), 6);
  assert.is(m.safeLength("hello hunter2"), 13, "a whole secret is not held");
  assert.is(m.safeLength("hello hunt3r"), 12);
  assert.is(m.safeLength("a\n-----BEG"), 2, "a multi-line secret's beginning too");
  assert.is(m.safeLength("x hunter2", 4), 2, "a cut never falls inside a whole secret");
});

test("a secret split across writes never leaves unmasked, line-buffered or forced", async () => {
  const secret = "s3cr3t-value-42";
  for (const pieces of [["pass=s3cr", "3t-value-42\n"], ["pass=s", "3", "cr3t-val", "ue-42 and more\n"], ["pass=s3cr3t-value-4", "2\n"]]) {
    const { s, shipped, text } = streams([secret], { flushIntervalMs: 20, forceAfterMs: 40 });
    const sink = s.enter("PLANNING", 1);
    for (const piece of pieces) {
      sink.write(piece);
      // Let the forced flush happen between the pieces: only the possible secret prefix is held.
      await new Promise((r) => setTimeout(r, 120));
    }
    s.close();
    assert.is(text(), pieces.join("").replace(secret, MASK), pieces.join("|"));
    for (const c of shipped) for (let n = 3; n <= secret.length; n++) assert.not.ok(c.text.includes(secret.slice(0, n)) && !MASK.includes(secret.slice(0, n)), `chunk ${JSON.stringify(c.text)} leaks ${secret.slice(0, n)}`);
    assert.ok(shipped.length >= 2, "the forced flush shipped the part before the secret early");
    assert.is(shipped[0].text, "pass=", "held back exactly the possible prefix");
  }
});

test("a forced flush ships a partial line within a second; complete lines go at the next tick", async () => {
  const { s, shipped } = streams([]);
  const sink = s.enter("PERFORMING", 1);
  const start = Date.now();
  sink.write("line one\n");
  await waitFor(() => shipped.length === 1, { what: "the line" });
  assert.ok(Date.now() - start < 500, `a complete line ships at the first tick (took ${Date.now() - start} ms)`);
  const partialAt = Date.now();
  sink.write("Enter a value: ");
  await new Promise((r) => setTimeout(r, 400));
  assert.is(shipped.length, 1, "a partial line waits for its end for a while");
  await waitFor(() => shipped.length === 2, { what: "the partial line", timeoutMs: 2000 });
  assert.is(shipped[1].text, "Enter a value: ");
  assert.ok(shipped[1].at - partialAt <= 1100, `shipped ${shipped[1].at - partialAt} ms after it was written`);
  assert.ok(shipped[1].at - shipped[1].timestamp <= 1100, "a chunk covers at most about a second");
  s.close();
});

test("chunks are at most 64 KiB, cut between code points, and add up to the output", () => {
  const { s, shipped, text } = streams([]);
  const sink = s.enter("APPLYING", 2);
  const line = "résumé ✓ 🚀 ".repeat(40) + "\n";
  let all = "";
  while (all.length < 400_000) all += line;
  sink.write(all.slice(0, 150_000));
  sink.write(all.slice(150_000));
  s.close();
  assert.is(text(), all);
  assert.ok(shipped.length >= 7);
  for (const c of shipped) assert.ok(new TextEncoder().encode(c.text).length <= MAX_LOG_CHUNK_BYTES, "at most 64 KiB");
  assert.not.ok(text().includes("\uFFFD"), "no code point was cut");
});

test("enter ends the previous stream: its output, held prefix included, is shipped first", () => {
  const { s, shipped } = streams(["topsecret"]);
  s.enter("INITIALIZING", 1).write("init done, top");
  s.enter("PLANNING", 1).write("plan\n");
  s.close();
  assert.equal(shipped.map((c) => [c.state, c.text]), [["INITIALIZING", "init done, top"], ["PLANNING", "plan\n"]]);
});

type Put = { url: string; body: string };
function fakeServer(options: { putFailures?: number; expireFirst?: boolean; refuseUrls?: number } = {}) {
  const requests: LogUrlsRequest[] = [];
  const puts: Put[] = [];
  let failures = options.putFailures ?? 0;
  let expire = options.expireFirst ?? false;
  let batch = 0;
  return {
    requests,
    puts,
    urls: async (req: LogUrlsRequest) => {
      requests.push(req);
      if (options.refuseUrls) throw Object.assign(new Error(`/runs/x/logs/urls: ${options.refuseUrls} not yours`), { status: options.refuseUrls });
      batch++;
      return Array.from({ length: Math.min(req.count, MAX_LOG_URLS) }, (_, i) => `https://store.test/run_logs/${req.state}/${req.from + i}?b=${batch}&signature=sekrit${batch}`);
    },
    put: async (url: string, body: string) => {
      if (failures > 0) {
        failures--;
        throw new Error(`connect ECONNREFUSED for ${url}`);
      }
      if (expire && url.includes("b=1&")) {
        expire = false;
        return 403;
      }
      puts.push({ url, body });
      return 200;
    },
  };
}

test("uploads: in order, URLs fetched in batches ahead of need, retried, re-fetched when expired", async () => {
  const server = fakeServer({ putFailures: 2, expireFirst: true });
  const log = memoryLogger();
  const logs = createRunLogs({ urls: server.urls, put: server.put, secrets: ["pw-123"], log, retryBaseMs: 5 });
  const sink = logs.enter("PLANNING", 3);
  for (let i = 0; i < 100; i++) {
    sink.write(`line ${i} pw-123\n`);
    await logs.flush();
  }
  await logs.close();
  const seqs = server.puts.map((p) => Number(/PLANNING\/(\d+)\?/.exec(p.url)![1]));
  assert.equal(seqs, Array.from({ length: 100 }, (_, i) => i), "every chunk once, in order");
  const texts = server.puts.map((p) => decodeChunk(p.body)!.text);
  assert.equal(texts, Array.from({ length: 100 }, (_, i) => `line ${i} ${MASK}\n`));
  assert.ok(server.requests.length <= 4, `${server.requests.length} URL requests for 100 chunks`);
  assert.ok(server.requests.every((r) => r.state === "PLANNING" && r.stateVersion === 3 && r.count === MAX_LOG_URLS));
  assert.is(logs.dropped, 0);
  assert.not.ok(log.lines.join("\n").includes("signature"), "no URL query string in the worker's log");
});

test("uploads that keep failing are given up with a warning; refusals drop the stream; the run goes on", async () => {
  const down = fakeServer({ putFailures: 1_000 });
  const log = memoryLogger();
  const logs = createRunLogs({ urls: down.urls, put: down.put, secrets: [], log, retryBaseMs: 1, retryForMs: 50 });
  const sink = logs.enter("PERFORMING", 1);
  sink.write("one\n");
  await logs.flush();
  sink.write("two\n");
  await logs.close();
  assert.is(logs.dropped, 2);
  const warnings = log.lines.map((l) => JSON.parse(l)).filter((l) => l.level === "warn");
  assert.ok(warnings.length >= 1 && warnings.every((w) => w.msg === "log chunk not uploaded, skipped"));
  assert.ok(warnings.every((w) => !JSON.stringify(w).includes("signature")), "the URL in the error is redacted");

  const refused = fakeServer({ refuseUrls: 409 });
  const log2 = memoryLogger();
  const logs2 = createRunLogs({ urls: refused.urls, put: refused.put, secrets: [], log: log2, retryBaseMs: 1 });
  const sink2 = logs2.enter("PERFORMING", 1);
  sink2.write("a\n");
  await logs2.flush();
  sink2.write("b\n");
  await logs2.close();
  assert.is(refused.requests.length, 1, "a refusal is not retried");
  assert.equal(log2.lines.map((l) => JSON.parse(l).msg), ["run logs refused by the server; this state's output is not stored"]);
});

test("redactUrl keeps the path and drops the query", () => {
  assert.is(redactUrl("http://h/blobs/run_logs/a/b?method=PUT&signature=abc"), "http://h/blobs/run_logs/a/b?…");
  assert.is(redactUrl("http://h/x"), "http://h/x");
});

test("the logger fallback writes masked lines to the worker's log", async () => {
  const log = memoryLogger();
  const logs = loggerRunLogs(log, ["tok-9"]);
  const sink = logs.enter("PERFORMING", 1);
  sink.write("a tok-");
  sink.write("9 b\nc");
  await logs.close();
  assert.equal(log.lines.map((l) => JSON.parse(l)).map((l) => [l.state, l.line]), [["PERFORMING", `a ${MASK} b`], ["PERFORMING", "c"]]);
});

test.run();
