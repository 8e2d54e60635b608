// The run's logs on the worker (the RunLogs of drivers/driver.ts): tool output is masked, cut into
// chunks and uploaded in order to pre-signed URLs the server hands out in batches ahead of need
// (POST /worker/runs/:id/logs/urls). docs/logs.md tells the whole story.
//
// Chunking. Output is buffered per stream (state version). Every flushIntervalMs the complete lines
// written so far become one chunk; a partial line waiting forceAfterMs is shipped too, so a chunk
// covers at most about a second and a follower sees output within one. Pending output reaching
// maxChunkBytes is shipped at once; no chunk is larger.
//
// Masking. Every occurrence of a secret value becomes *****, before anything leaves the process,
// including a secret split across writes: text that could still be the beginning of a secret (a
// proper prefix of one, at the end of the buffer) is held back until the next write decides, or
// until the stream ends. Overlapping secrets are masked as one.
//
// Failures. An upload failing transiently is retried (new URLs when one expired) for up to
// retryForMs, then given up with a warning; a refused stream (the run was taken away) is dropped
// with one warning. Logs never fail a run. A URL's query string (its signature) is never logged.
import type { Logger } from "../shared/log.ts";
import type { RunState } from "../shared/runs/run.ts";
import { MAX_LOG_CHUNK_BYTES, MAX_LOG_URLS, type LogUrlsRequest } from "../shared/workers/protocol.ts";
import { byteLength, encodeChunk, splitByBytes } from "../shared/logs/chunk.ts";
import type { LogSink, RunLogs } from "./drivers/driver.ts";

export const MASK = "*****";

/** Masks secret values in text, and says how much of a growing buffer is safe to emit. */
export class SecretMasker {
  private readonly secrets: readonly string[];

  constructor(secrets: readonly string[]) {
    this.secrets = [...new Set(secrets.filter((s) => s !== ""))].sort((a, b) => b.length - a.length);
  }

  get longest(): number {
    return this.secrets[0]?.length ?? 0;
  }

  /** Every occurrence of every secret (overlapping ones too), as [start, end) ranges merged. */
  private ranges(text: string): Array<[number, number]> {
    const found: Array<[number, number]> = [];
    for (const secret of this.secrets) {
      for (let at = text.indexOf(secret); at !== -1; at = text.indexOf(secret, at + 1)) found.push([at, at + secret.length]);
    }
    found.sort((a, b) => a[0] - b[0]);
    const merged: Array<[number, number]> = [];
    for (const range of found) {
      const last = merged[merged.length - 1];
      if (last && range[0] < last[1]) last[1] = Math.max(last[1], range[1]);
      else merged.push([range[0], range[1]]);
    }
    return merged;
  }

  mask(text: string): string {
    if (this.secrets.length === 0) return text;
    let out = "";
    let from = 0;
    for (const [start, end] of this.ranges(text)) {
      out += text.slice(from, start) + MASK;
      from = end;
    }
    return out + text.slice(from);
  }

  /**
   * How much of `text` (a buffer more text may follow) can be emitted now: not the tail that could
   * still grow into a secret, nor a cut through a secret found whole. Capped at `limit`.
   */
  safeLength(text: string, limit = text.length): number {
    let cut = Math.min(limit, text.length);
    for (const secret of this.secrets) {
      const first = secret[0];
      for (let at = Math.max(0, text.length - secret.length + 1); at < text.length; at++) {
        if (text[at] === first && secret.startsWith(text.slice(at))) {
          cut = Math.min(cut, at);
          break;
        }
      }
    }
    const ranges = this.ranges(text);
    for (let moved = true; moved; ) {
      moved = false;
      for (const [start, end] of ranges) {
        if (start < cut && cut < end) {
          cut = start;
          moved = true;
        }
      }
    }
    return cut;
  }
}

/** Where emitted (masked) text goes: one call per chunk, in order within a stream. */
type Ship = (stream: StreamId, text: string, timestamp: number) => void;
type StreamId = Readonly<{ state: RunState; stateVersion: number }>;

export type StreamOptions = Readonly<{
  secrets: readonly string[];
  /** How often buffered output is looked at (default 250 ms). */
  flushIntervalMs?: number;
  /** A partial line waiting this long is shipped anyway (default 750 ms: within a second). */
  forceAfterMs?: number;
  maxChunkBytes?: number;
  now?: () => number;
}>;

/** One state version's buffered output. */
class Stream {
  pending = "";
  pendingBytes = 0;
  /** When the oldest pending character, and the current unterminated line, were written. */
  pendingSince = 0;
  partialSince = 0;
  timer: ReturnType<typeof setTimeout> | null = null;
  constructor(readonly id: StreamId) {}
}

/** Buffers, masks and cuts output into chunks; `ship` receives them. The core of both RunLogs below. */
export class LogStreams {
  private current: Stream | null = null;
  private readonly streams = new Set<Stream>();
  private readonly masker: SecretMasker;
  private readonly interval: number;
  private readonly forceAfter: number;
  private readonly maxBytes: number;
  private readonly now: () => number;
  private closed = false;

  constructor(options: StreamOptions, private readonly ship: Ship) {
    this.masker = new SecretMasker(options.secrets);
    this.interval = options.flushIntervalMs ?? 250;
    this.forceAfter = options.forceAfterMs ?? 750;
    this.maxBytes = options.maxChunkBytes ?? MAX_LOG_CHUNK_BYTES;
    this.now = options.now ?? Date.now;
  }

  /** Ends the current stream (everything written is shipped) and starts the next. */
  enter(state: RunState, stateVersion: number): LogSink {
    if (this.current) this.drain(this.current, "all");
    const stream = new Stream({ state, stateVersion });
    this.current = stream;
    this.streams.add(stream);
    return { write: (text: string) => this.write(stream, text) };
  }

  /** Ships everything written so far, in every stream. */
  shipAll(): void {
    for (const stream of this.streams) this.drain(stream, "all");
  }

  close(): void {
    this.shipAll();
    this.closed = true;
  }

  private write(stream: Stream, text: string): void {
    if (this.closed || text === "") return;
    const now = this.now();
    if (stream.pending === "") stream.pendingSince = now;
    const newline = text.lastIndexOf("\n");
    if (newline !== -1 ? newline < text.length - 1 : stream.pending === "" || stream.pending.endsWith("\n")) stream.partialSince = now;
    stream.pending += text;
    stream.pendingBytes += byteLength(text);
    if (stream.pendingBytes >= this.maxBytes) this.drain(stream, "forced");
    if (stream.pending !== "" && stream.timer === null) this.schedule(stream);
  }

  private schedule(stream: Stream): void {
    stream.timer = setTimeout(() => {
      stream.timer = null;
      this.drain(stream, this.now() - stream.pendingSince >= this.forceAfter ? "forced" : "lines");
      if (stream.pending !== "") this.schedule(stream);
    }, this.interval);
  }

  /**
   * Ships pending output: complete lines ("lines"), or all but a possible secret's beginning
   * ("forced"), or everything ("all": the stream ends or is flushed).
   */
  private drain(stream: Stream, mode: "lines" | "forced" | "all"): void {
    const text = stream.pending;
    if (text === "") return;
    let cut = text.length;
    if (mode !== "all") {
      cut = this.masker.safeLength(text, mode === "lines" ? text.lastIndexOf("\n") + 1 : text.length);
      // A lines cut moved back into a line by a secret: cut at a line end before it, if any.
      if (mode === "lines" && cut < text.length && cut > 0 && text[cut - 1] !== "\n") cut = text.lastIndexOf("\n", cut - 1) + 1;
    }
    if (cut === 0) return;
    const timestamp = stream.pendingSince;
    stream.pending = text.slice(cut);
    stream.pendingBytes = byteLength(stream.pending);
    // What is left after the complete lines is the partial line; after a forced cut, held text.
    if (stream.pending !== "" && mode === "lines") stream.pendingSince = Math.max(stream.pendingSince, stream.partialSince);
    else if (stream.pending === "" && stream.timer !== null) {
      clearTimeout(stream.timer);
      stream.timer = null;
    }
    for (const piece of splitByBytes(this.masker.mask(text.slice(0, cut)), this.maxBytes)) this.ship(stream.id, piece, timestamp);
  }
}

/** Fetches pre-signed PUT URLs: the agent's call to POST /worker/runs/:id/logs/urls. */
export type LogUrls = (request: LogUrlsRequest) => Promise<readonly string[]>;
/** PUTs a chunk body; answers the HTTP status, throws when the request could not be made. */
export type PutChunk = (url: string, body: string) => Promise<number>;

export type RunLogsOptions = StreamOptions &
  Readonly<{
    urls: LogUrls;
    log: Logger;
    put?: PutChunk;
    /** How long one chunk's upload is retried before it is given up (default 60 s). */
    retryForMs?: number;
    retryBaseMs?: number;
    /** Output waiting for upload beyond this is dropped with a warning (default 16 MiB). */
    maxQueuedBytes?: number;
  }>;

/** What the worker logs for a URL: never its query string, which holds the signature. */
export function redactUrl(url: string): string {
  const at = url.search(/[?#]/);
  return at === -1 ? url : `${url.slice(0, at)}?…`;
}

const PUT_TIMEOUT_MS = 30_000;
/** PUTs with fetch; the default PutChunk. */
export const httpPut: PutChunk = async (url, body) => {
  const response = await fetch(url, { method: "PUT", body, headers: { "content-type": "application/json" }, signal: AbortSignal.timeout(PUT_TIMEOUT_MS) });
  await response.body?.cancel();
  return response.status;
};

type Pending = { stream: UploadStream; seq: number; body: string; bytes: number };

class UploadStream {
  nextSeq = 0;
  readonly urls = new Map<number, string>();
  /** Seqs below this were asked for (the batch ahead). */
  requested = 0;
  fetching: Promise<void> | null = null;
  refused = false;
  constructor(readonly id: StreamId) {}
}

/** Permanent refusals from the server: the run token or the run is no longer this worker's. */
const refusal = (error: unknown): boolean => {
  const status = (error as { status?: unknown }).status;
  return typeof status === "number" && status >= 400 && status < 500 && status !== 408 && status !== 429;
};

/** The worker's RunLogs: masked chunks uploaded to object storage. */
export function createRunLogs(options: RunLogsOptions): RunLogs & { readonly dropped: number } {
  const log = options.log;
  const put = options.put ?? httpPut;
  const retryFor = options.retryForMs ?? 60_000;
  const retryBase = options.retryBaseMs ?? 200;
  const maxQueued = options.maxQueuedBytes ?? 16 * 1024 * 1024;
  const uploads = new Map<string, UploadStream>();
  const queue: Pending[] = [];
  let queuedBytes = 0;
  let pumping: Promise<void> | null = null;
  /** Since when every upload attempt failed; after retryFor of that, each chunk gets one try. */
  let failingSince: number | null = null;
  let dropped = 0;
  let backlogWarned = false;

  const streamFor = (id: StreamId): UploadStream => {
    const key = `${id.state}/${id.stateVersion}`;
    let stream = uploads.get(key);
    if (!stream) uploads.set(key, (stream = new UploadStream(id)));
    return stream;
  };

  const fetchUrls = (stream: UploadStream, from: number): Promise<void> => {
    stream.fetching ??= (async () => {
      try {
        const urls = await options.urls({ state: stream.id.state, stateVersion: stream.id.stateVersion, from, count: MAX_LOG_URLS });
        if (urls.length === 0) throw new Error("the server gave no log URLs");
        urls.forEach((url, i) => stream.urls.set(from + i, url));
        stream.requested = Math.max(stream.requested, from + urls.length);
      } finally {
        stream.fetching = null;
      }
    })();
    return stream.fetching;
  };

  const urlFor = async (stream: UploadStream, seq: number): Promise<string> => {
    while (!stream.urls.has(seq)) {
      if (stream.fetching) await stream.fetching.catch(() => {});
      else await fetchUrls(stream, seq);
    }
    // Ask for the next batch while a quarter of this one is left.
    if (stream.requested - seq <= MAX_LOG_URLS / 4 && !stream.fetching) {
      fetchUrls(stream, stream.requested).catch((error) => log.debug("log URLs not fetched ahead", { reason: (error as Error).message }));
    }
    return stream.urls.get(seq) as string;
  };

  const upload = async (item: Pending): Promise<void> => {
    const { stream, seq } = item;
    const started = Date.now();
    let reason = "";
    for (let attempt = 0; !stream.refused; attempt++) {
      let url: string | null = null;
      try {
        url = await urlFor(stream, seq);
        const status = await put(url, item.body);
        if (status >= 200 && status < 300) {
          stream.urls.delete(seq);
          failingSince = null;
          return;
        }
        reason = `HTTP ${status}`;
        // Expired or refused URL: ask for a new one. Other client errors will not get better.
        stream.urls.delete(seq);
        if (status >= 400 && status < 500 && status !== 403 && status !== 408 && status !== 429) break;
      } catch (error) {
        reason = (error as Error).message;
        if (url) reason = reason.split(url).join(redactUrl(url));
        if (!url && refusal(error)) {
          stream.refused = true;
          log.warn("run logs refused by the server; this state's output is not stored", { state: stream.id.state, state_version: stream.id.stateVersion, reason });
          return;
        }
      }
      const now = Date.now();
      failingSince ??= now;
      // Each chunk is retried for retryFor; once uploads have failed that long, chunks get one try.
      if (now - started >= retryFor || started - failingSince >= retryFor) break;
      await new Promise((r) => setTimeout(r, Math.min(retryBase * 2 ** attempt, 5_000) * (0.5 + Math.random() / 2)));
    }
    if (stream.refused) return;
    dropped++;
    log.warn("log chunk not uploaded, skipped", { state: stream.id.state, state_version: stream.id.stateVersion, seq, reason });
  };

  const pump = async () => {
    while (queue.length > 0) {
      const item = queue[0];
      await upload(item);
      queue.shift();
      queuedBytes -= item.bytes;
    }
  };

  const streams = new LogStreams(options, (id, text, timestamp) => {
    const stream = streamFor(id);
    if (stream.refused) return;
    const body = encodeChunk({ timestamp, text });
    const bytes = body.length;
    if (queuedBytes + bytes > maxQueued) {
      dropped++;
      if (!backlogWarned) log.warn("log upload backlog full, output dropped until it drains", { state: id.state, queued_bytes: queuedBytes });
      backlogWarned = true;
      return;
    }
    backlogWarned = false;
    queue.push({ stream, seq: stream.nextSeq++, body, bytes });
    queuedBytes += bytes;
    pumping ??= pump().finally(() => (pumping = null));
  });

  const flush = async () => {
    streams.shipAll();
    while (pumping) await pumping;
  };
  return {
    enter: (state, stateVersion) => streams.enter(state, stateVersion),
    flush,
    close: async () => {
      streams.close();
      await flush();
    },
    get dropped() {
      return dropped;
    },
  };
}

/** RunLogs that only write to the worker's own logger (masked, one entry per line): for tests. */
export function loggerRunLogs(log: Logger, secrets: readonly string[] = []): RunLogs {
  const streams = new LogStreams({ secrets }, (id, text) => {
    for (const line of text.split(/(?<=\n)/)) log.info("run output", { state: id.state, state_version: id.stateVersion, line: line.replace(/\n$/, "") });
  });
  return {
    enter: (state, stateVersion) => streams.enter(state, stateVersion),
    flush: async () => streams.shipAll(),
    close: async () => streams.close(),
  };
}
