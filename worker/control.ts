// Stopping a run on this worker: the server's Stop message (runStop: SIGINT, runKill: SIGKILL),
// or the worker's own timeouts. The first stop decides the reason; a later SIGKILL still kills.
export type StopSignal = "SIGINT" | "SIGKILL";

export type RunControl = Readonly<{
  /** Aborted by any stop: the tool gets SIGINT (its process group), then SIGKILL after a grace period. */
  signal: AbortSignal;
  /** Aborted by a SIGKILL stop: the tool's process group is killed at once. */
  kill: AbortSignal;
  /** Why the run was stopped, or null. */
  reason(): string | null;
  /** Whether the server ended the run (its state is decided there; reports for it are refused). */
  byServer(): boolean;
  stop(signal: StopSignal, reason: string, byServer: boolean): void;
}>;

export function runControl(): RunControl {
  const stopping = new AbortController();
  const killing = new AbortController();
  let why: string | null = null;
  let server = false;
  return Object.freeze({
    signal: stopping.signal,
    kill: killing.signal,
    reason: () => why,
    byServer: () => server,
    stop: (signal: StopSignal, reason: string, byServer: boolean) => {
      if (why === null) {
        why = reason;
        server = byServer;
      }
      server ||= byServer;
      stopping.abort();
      if (signal === "SIGKILL") killing.abort();
    },
  });
}
