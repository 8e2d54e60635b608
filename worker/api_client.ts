// The worker's HTTPS side of the protocol (shared/workers/protocol.ts): register, accept, report,
// leave. Errors carry the server's status and message, never a token.
import type { AcceptResponse, RegisterResponse, StateReport } from "../shared/workers/protocol.ts";

export class ApiError extends Error {
  constructor(readonly status: number, message: string) {
    super(message);
  }
}

export type WorkerApi = Readonly<{
  register(poolId: string, secret: string, metadata: Readonly<Record<string, string>>): Promise<RegisterResponse>;
  accept(runId: string): Promise<AcceptResponse>;
  report(runId: string, runToken: string, report: StateReport): Promise<void>;
  leave(): Promise<void>;
}>;

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
      await call(`/runs/${runId}/state`, report, runToken);
    },
    leave: async () => {
      await call("/leave", {}, workerToken);
    },
  };
}
