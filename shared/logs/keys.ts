// Where run logs live and how a reader says where it stopped. One stream per run, state and state
// version; its chunks are numbered from 0 in the order the worker wrote them:
//
//   run_logs/<stackId>/<runId>/<STATE>/<stateVersion>/<seq, 8 digits>
//
// The paging token (Run.logs nextToken) is opaque to clients: base64url of
// "v1:<runId>:<STATE>:<stateVersion>:<next seq>". It grants nothing by itself (the caller must be
// able to read the run), and it names its stream so a token of another run or state is refused.
import { Buffer } from "node:buffer";
import { invalid } from "../errors.ts";
import { RUN_STATES, type RunState } from "../runs/run.ts";

export const LOG_BUCKET = "run_logs" as const;
/** Chunks per stream: 8 digits. At most 4 a second, that is more than 290 days of output. */
export const MAX_SEQ = 99_999_999;
const SEQ_DIGITS = 8;

export type LogStream = Readonly<{ stackId: string; runId: string; state: RunState; stateVersion: number }>;

export const streamPrefix = (s: LogStream): string => `${s.stackId}/${s.runId}/${s.state}/${s.stateVersion}/`;

export function chunkKey(s: LogStream, seq: number): string {
  if (!Number.isInteger(seq) || seq < 0 || seq > MAX_SEQ) throw invalid(`log chunk number ${seq} is out of range`);
  return `${streamPrefix(s)}${String(seq).padStart(SEQ_DIGITS, "0")}`;
}

/** The chunk number of a key under the stream's prefix, or null for anything else. */
export function seqOfKey(s: LogStream, key: string): number | null {
  const prefix = streamPrefix(s);
  if (!key.startsWith(prefix)) return null;
  const rest = key.slice(prefix.length);
  return /^\d{8}$/.test(rest) ? Number(rest) : null;
}

export type LogToken = Readonly<{ runId: string; state: RunState; stateVersion: number; seq: number }>;

export function encodeLogToken(t: LogToken): string {
  return Buffer.from(`v1:${t.runId}:${t.state}:${t.stateVersion}:${t.seq}`, "utf8").toString("base64url");
}

const BAD_TOKEN = "the logs token is not one this server issued (start again with token: null)";

export function decodeLogToken(token: string): LogToken {
  if (token.length > 200 || !/^[A-Za-z0-9_-]+$/.test(token)) throw invalid(BAD_TOKEN);
  const match = /^v1:([0-9A-Z]{26}):([A-Z_]+):(\d{1,9}):(\d{1,9})$/.exec(Buffer.from(token, "base64url").toString("utf8"));
  if (!match || !(RUN_STATES as readonly string[]).includes(match[2])) throw invalid(BAD_TOKEN);
  const stateVersion = Number(match[3]);
  const seq = Number(match[4]);
  if (stateVersion < 1 || seq > MAX_SEQ) throw invalid(BAD_TOKEN);
  return { runId: match[1], state: match[2] as RunState, stateVersion, seq };
}
