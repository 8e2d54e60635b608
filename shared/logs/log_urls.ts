// POST /worker/runs/:id/logs/urls: pre-signed PUT URLs for a run's log chunks, asked for with the
// run token, in batches ahead of need (shared/workers/protocol.ts LogUrlsRequest). The server
// checks the token is for this run, that its worker may still write (live, holding the run or the
// run just ended), and that the run has entered the state version; at most MAX_LOG_URLS a call.
import type { Sql } from "../db/connect.ts";
import { GantryError, invalid, notFound } from "../errors.ts";
import { RUN_STATES, type RunState } from "../runs/run.ts";
import type { ObjectStore } from "../storage/object_store.ts";
import { verifyRunToken } from "../workers/tokens.ts";
import { MAX_LOG_URLS, type LogUrlsRequest, type LogUrlsResponse } from "../workers/protocol.ts";
import { chunkKey, LOG_BUCKET, MAX_SEQ } from "./keys.ts";
import { getLogRun, stateVersionExists, workerMayWriteLogs } from "./queries.ts";

/** How long a log URL stays valid; a worker asks again for one that expired (403). */
export const LOG_URL_SECONDS = 3600;

const unauthorized = (why: string) => new GantryError("Unauthorized", `unauthorized: ${why}`);

export function parseLogUrlsRequest(body: Readonly<Record<string, unknown>>): LogUrlsRequest {
  const { state, stateVersion, from, count } = body;
  if (typeof state !== "string" || !(RUN_STATES as readonly string[]).includes(state)) throw invalid("state must be a run state");
  if (!Number.isInteger(stateVersion) || (stateVersion as number) < 1) throw invalid("stateVersion must be a whole number from 1");
  if (!Number.isInteger(from) || (from as number) < 0 || (from as number) > MAX_SEQ) throw invalid(`from must be a whole number from 0 to ${MAX_SEQ}`);
  if (!Number.isInteger(count) || (count as number) < 1) throw invalid("count must be a whole number from 1");
  return { state: state as RunState, stateVersion: stateVersion as number, from: from as number, count: count as number };
}

export async function issueLogUrls(sql: Sql, store: ObjectStore, runTokenKey: Buffer, runId: string, token: string | null, body: Readonly<Record<string, unknown>>): Promise<LogUrlsResponse> {
  const claims = token ? verifyRunToken(runTokenKey, token, runId) : null;
  if (!claims) throw unauthorized("a valid run token for this run is required");
  const request = parseLogUrlsRequest(body);
  const run = await getLogRun(sql, runId);
  if (!run) throw notFound(`run ${runId}`);
  if (!(await workerMayWriteLogs(sql, claims.workerId, runId))) throw new GantryError("Conflict", `worker ${claims.workerId} does not hold run ${runId}`);
  if (!(await stateVersionExists(sql, runId, request.state, request.stateVersion))) {
    throw invalid(`run ${runId} has not entered ${request.state} (version ${request.stateVersion})`);
  }
  const count = Math.min(request.count, MAX_LOG_URLS, MAX_SEQ - request.from + 1);
  const stream = { stackId: run.stackId, runId, state: request.state, stateVersion: request.stateVersion };
  const urls = await Promise.all(Array.from({ length: count }, (_, i) => store.presign(LOG_BUCKET, chunkKey(stream, request.from + i), "PUT", LOG_URL_SECONDS)));
  return { urls };
}
