// Run.logs(state, token, stateVersion): one page of a state version's log stream, shaped the way
// spacectl polls it (docs/logs.md). The first call has no token; each answer's nextToken (never
// null) continues where it stopped. `hasMore`: more chunks can be read right now. `finished`: the
// stream is complete and everything was read, so the client stops. A stream is complete once the
// run has moved past the state version: at once when the worker reported the next state (it
// uploads everything before reporting), after LOG_SETTLE_MS when someone else moved the run on (a
// stop, a lost worker), whose last output may still be arriving.
import type { Sql } from "../db/connect.ts";
import { invalid, notFound } from "../errors.ts";
import { requireRole, type Actor, type SpaceTree } from "../auth/roles.ts";
import { spaceTree } from "../spaces/queries.ts";
import { RUN_STATES, type RunState } from "../runs/run.ts";
import type { ObjectStore } from "../storage/object_store.ts";
import { chunkLines, decodeChunk } from "./chunk.ts";
import { chunkKey, decodeLogToken, encodeLogToken, LOG_BUCKET, seqOfKey, streamPrefix, type LogStream } from "./keys.ts";
import { getLogRun, streamTransitions, type StreamTransition } from "./queries.ts";

export type LogMessage = Readonly<{ message: string; timestamp: number }>;
export type LogsPage = Readonly<{ exists: boolean; expired: boolean; finished: boolean; hasMore: boolean; messages: readonly LogMessage[]; nextToken: string }>;
export type LogsQuery = Readonly<{ state: string; stateVersion?: number | null; token?: string | null }>;

/** How long after a transition made by anyone but the worker its last output may still arrive. */
export const LOG_SETTLE_MS = 10_000;
/** A page ends after this many chunks or once it holds this much text. */
export const PAGE_CHUNKS = 64;
export const PAGE_BYTES = 1024 * 1024;
const MAX_READ_WINDOW = 16;

const WORKER_ACTOR = "worker::";

/** Whether the stream that `opened` started is complete, given the transition after it. */
export function streamComplete(next: StreamTransition | null, runTerminal: boolean, now: number): boolean {
  if (next === null) return runTerminal;
  return next.actor.startsWith(WORKER_ACTOR) || now - next.createdAt.getTime() >= LOG_SETTLE_MS;
}

export async function readRunLogs(
  sql: Sql,
  store: ObjectStore,
  actor: Actor,
  runId: string,
  query: LogsQuery,
  options: Readonly<{ tree?: SpaceTree; now?: number }> = {},
): Promise<LogsPage> {
  const run = await getLogRun(sql, runId);
  if (!run) throw notFound(`run ${runId}`);
  requireRole(actor, options.tree ?? (await spaceTree(sql)), run.spaceId, "read", "reading run logs");
  if (!(RUN_STATES as readonly string[]).includes(query.state)) throw invalid(`${query.state} is not a run state`);
  const state = query.state as RunState;
  if (query.stateVersion != null && (!Number.isInteger(query.stateVersion) || query.stateVersion < 1)) throw invalid("stateVersion must be a whole number from 1");

  let start = 0;
  let version = query.stateVersion ?? null;
  if (query.token != null) {
    const token = decodeLogToken(query.token);
    if (token.runId !== run.id || token.state !== state || (version !== null && token.stateVersion !== version)) {
      throw invalid(`the logs token belongs to another log stream than run ${run.id} ${state}${version !== null ? ` version ${version}` : ""} (start again with token: null)`);
    }
    version = token.stateVersion;
    start = token.seq;
  }

  const { opened, next } = await streamTransitions(sql, run.id, state, version);
  if (!opened) {
    // Not entered (yet): nothing to read; finished once the run has ended without it.
    const stream = { stackId: run.stackId, runId: run.id, state, stateVersion: version ?? 1 };
    return { exists: false, expired: false, finished: run.terminal, hasMore: false, messages: [], nextToken: token(stream, start) };
  }
  const stream: LogStream = { stackId: run.stackId, runId: run.id, state, stateVersion: opened.stateVersion };
  // Decided before reading: when complete, every chunk was uploaded before this point.
  const complete = streamComplete(next, run.terminal, options.now ?? Date.now());
  const reader = new StreamReader(store, stream, complete);

  const messages: LogMessage[] = [];
  let seq = start;
  let chunks = 0;
  let bytes = 0;
  let window = 1;
  for (;;) {
    if (chunks >= PAGE_CHUNKS || bytes >= PAGE_BYTES) break;
    const want = Math.min(window, PAGE_CHUNKS - chunks);
    const bodies = await Promise.all(Array.from({ length: want }, (_, i) => store.get(LOG_BUCKET, chunkKey(stream, seq + i))));
    let missing = false;
    for (const body of bodies) {
      if (body === null) {
        missing = true;
        break;
      }
      const chunk = decodeChunk(body);
      if (chunk) {
        const timestamp = Math.floor(chunk.timestamp / 1000);
        for (const line of chunkLines(chunk.text)) messages.push({ message: line, timestamp });
        bytes += body.length;
      }
      seq++;
      chunks++;
    }
    if (missing) {
      // A chunk not (yet) uploaded: a live stream waits for it; a complete one lost it for good.
      const after = await reader.nextAfterGap(seq);
      if (after === null) break;
      seq = after;
      window = 1;
      continue;
    }
    window = Math.min(window * 2, MAX_READ_WINDOW);
  }
  const hasMore = chunks >= PAGE_CHUNKS || bytes >= PAGE_BYTES ? (await reader.available(seq)) !== null : false;
  return {
    exists: seq > 0 || hasMore,
    expired: false,
    finished: complete && !hasMore,
    hasMore,
    messages,
    nextToken: token(stream, seq),
  };
}

const token = (s: LogStream, seq: number) => encodeLogToken({ runId: s.runId, state: s.state, stateVersion: s.stateVersion, seq });

/** Finds chunks past a gap: only in a complete stream, with one listing per page. */
class StreamReader {
  private listed: number[] | null = null;
  constructor(
    private readonly store: ObjectStore,
    private readonly stream: LogStream,
    private readonly complete: boolean,
  ) {}

  async nextAfterGap(seq: number): Promise<number | null> {
    if (!this.complete) return null;
    this.listed ??= (await this.store.list(LOG_BUCKET, streamPrefix(this.stream)))
      .map((key) => seqOfKey(this.stream, key))
      .filter((n): n is number => n !== null)
      .sort((a, b) => a - b);
    return this.listed.find((n) => n > seq) ?? null;
  }

  /** The chunk to read next from `seq` on, if there is one now. */
  async available(seq: number): Promise<number | null> {
    if ((await this.store.head(LOG_BUCKET, chunkKey(this.stream, seq))) !== null) return seq;
    return this.nextAfterGap(seq);
  }
}

/** States whose logs clients should read: the ones a worker runs (Run.history hasLogs). */
export const LOG_STATES: readonly RunState[] = Object.freeze(["PREPARING", "INITIALIZING", "PLANNING", "PREPARING_REPLAN", "PREPARING_APPLY", "APPLYING", "PERFORMING", "DESTROYING"]);
export const hasLogs = (state: RunState): boolean => LOG_STATES.includes(state);
