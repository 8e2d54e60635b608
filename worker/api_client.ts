// The worker's HTTPS side of the protocol (shared/workers/protocol.ts): register, accept, report,
// plan, outputs, log URLs, leave; and plain GET/PUT to the pre-signed object-storage URLs a run is
// given. Errors carry the server's status and message, never a token, and never a pre-signed
// URL's query string (it holds the signature).
import type {
  AcceptResponse,
  LogUrlsRequest,
  LogUrlsResponse,
  Output,
  PlanDecision,
  PlanSummary,
  RegisterResponse,
  StateReport,
  StateReportResponse,
} from "../shared/workers/protocol.ts";

export class ApiError extends Error {
  constructor(readonly status: number, message: string) {
    super(message);
  }
}

/** The server no longer lets this worker act on the run (stopped, failed by the server, lease lost). */
export const isRefusal = (error: unknown): boolean => error instanceof ApiError && [401, 403, 404, 409].includes(error.status);
const retryable = (error: unknown): boolean => !(error instanceof ApiError) || error.status >= 500 || error.status === 429;

export type WorkerApi = Readonly<{
  register(poolId: string, secret: string, metadata: Readonly<Record<string, string>>): Promise<RegisterResponse>;
  accept(runId: string): Promise<AcceptResponse>;
  /** Retried on network errors and 5xx: a repeated report of the state the run is in answers it again. */
  report(runId: string, runToken: string, report: StateReport): Promise<StateReportResponse>;
  /** The answer is the plan policies' decision. */
  plan(runId: string, runToken: string, summary: PlanSummary): Promise<PlanDecision>;
  outputs(runId: string, runToken: string, outputs: readonly Output[]): Promise<void>;
  logUrls(runId: string, runToken: string, request: LogUrlsRequest): Promise<LogUrlsResponse>;
  leave(): Promise<void>;
}>;

export type RetryOptions = Readonly<{ attempts?: number; firstDelayMs?: number }>;

async function withRetries<T>(what: () => Promise<T>, options: RetryOptions = {}): Promise<T> {
  const attempts = options.attempts ?? 3;
  let delay = options.firstDelayMs ?? 500;
  for (let attempt = 1; ; attempt++) {
    try {
      return await what();
    } catch (error) {
      if (attempt >= attempts || !retryable(error)) throw error;
      await new Promise((r) => setTimeout(r, delay));
      delay = Math.min(delay * 2, 10_000);
    }
  }
}

export function workerApi(serverUrl: string, timeoutMs = 30_000): WorkerApi & { setWorkerToken(token: string): void } {
  let workerToken: string | null = null;
  const call = async <T>(path: string, body: unknown, token: string | null): Promise<T> => {
    const response = await fetch(`${serverUrl}/worker${path}`, {
      method: "POST",
      headers: { "content-type": "application/json", ...(token ? { authorization: `Bearer ${token}` } : {}) },
      body: JSON.stringify(body ?? {}),
      signal: AbortSignal.timeout(timeoutMs),
    });
    const text = await response.text();
    if (!response.ok) {
      let message = text.slice(0, 500);
      try {
        message = JSON.parse(text).error?.message ?? message;
      } catch {
        // not JSON: the text as it is
      }
      throw new ApiError(response.status, `${path}: ${response.status} ${message}`);
    }
    return JSON.parse(text) as T;
  };
  return {
    setWorkerToken: (token) => {
      workerToken = token;
    },
    register: (poolId, secret, metadata) => call<RegisterResponse>("/register", { poolId, secret, metadata }, null),
    accept: (runId) => call<AcceptResponse>(`/runs/${runId}/accept`, {}, workerToken),
    report: async (runId, runToken, report) => {
      // Retried for about a minute: a server restart must not cost a run its outcome.
      const answer = await withRetries(() => call<Partial<StateReportResponse>>(`/runs/${runId}/state`, report, runToken), { attempts: 10 });
      // A server without state versions yet answers only the state.
      return { state: answer.state ?? report.state, stateVersion: answer.stateVersion ?? 1 };
    },
    plan: async (runId, runToken, summary) => {
      const answer = await withRetries(() => call<Partial<PlanDecision>>(`/runs/${runId}/plan`, { summary }, runToken), { attempts: 8 });
      // A server without plan policies answers only {recorded: true}.
      return { outcome: answer.outcome ?? "allow", messages: answer.messages ?? [], pendingReview: answer.pendingReview ?? false };
    },
    outputs: async (runId, runToken, outputs) => {
      await withRetries(() => call(`/runs/${runId}/outputs`, { outputs }, runToken), { attempts: 8 });
    },
    logUrls: (runId, runToken, request) => withRetries(() => call<LogUrlsResponse>(`/runs/${runId}/logs/urls`, request, runToken)),
    leave: async () => {
      await call("/leave", {}, workerToken);
    },
  };
}

/** A pre-signed URL as it may be logged: scheme, host and path, without the signed query. */
export function redactUrl(url: string): string {
  try {
    const parsed = new URL(url);
    return `${parsed.origin}${parsed.pathname}`;
  } catch {
    return "(not a URL)";
  }
}

export type TransferOptions = RetryOptions & Readonly<{ timeoutMs?: number; contentType?: string }>;

/** PUT `body` to a pre-signed URL; retried on network errors and 5xx. */
export async function putObject(url: string, body: Uint8Array | string, options: TransferOptions = {}): Promise<void> {
  await withRetries(async () => {
    let response: Response;
    try {
      response = await fetch(url, {
        method: "PUT",
        headers: { "content-type": options.contentType ?? "application/octet-stream" },
        body: body as BodyInit,
        signal: AbortSignal.timeout(options.timeoutMs ?? 300_000),
      });
    } catch (error) {
      throw new Error(`upload to ${redactUrl(url)} failed: ${(error as Error).name === "TimeoutError" ? "timed out" : (error as Error).message}`);
    }
    await response.body?.cancel();
    if (!response.ok) throw new ApiError(response.status, `upload to ${redactUrl(url)} failed: ${response.status}`);
  }, options);
}

/** GET a pre-signed URL: the bytes, or null on 404 (nothing stored yet); retried on network errors and 5xx. */
export async function getObject(url: string, options: TransferOptions = {}): Promise<Uint8Array | null> {
  return withRetries(async () => {
    let response: Response;
    try {
      response = await fetch(url, { signal: AbortSignal.timeout(options.timeoutMs ?? 300_000) });
      if (response.status === 404) {
        await response.body?.cancel();
        return null;
      }
      if (!response.ok) {
        await response.body?.cancel();
        throw new ApiError(response.status, `download from ${redactUrl(url)} failed: ${response.status}`);
      }
      return new Uint8Array(await response.arrayBuffer());
    } catch (error) {
      if (error instanceof ApiError) throw error;
      throw new Error(`download from ${redactUrl(url)} failed: ${(error as Error).name === "TimeoutError" ? "timed out" : (error as Error).message}`);
    }
  }, options);
}
