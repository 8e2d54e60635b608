// Worker pools and workers: their types, a worker's status, and the checks on what a worker says
// about itself. The SQL is in queries.ts; the protocol in protocol.ts.
import { invalid } from "../errors.ts";
import { MAX_METADATA_ENTRIES, MAX_METADATA_VALUE } from "./protocol.ts";

export type WorkerPool = Readonly<{
  id: string;
  spaceId: string;
  name: string;
  description: string;
  labels: readonly string[];
  generation: number;
  createdAt: Date;
  updatedAt: Date;
}>;

export type Worker = Readonly<{
  id: string;
  poolId: string;
  generation: number;
  metadata: Readonly<Record<string, string>>;
  drained: boolean;
  runId: string | null;
  runLeaseUntil: Date | null;
  runAccepted: boolean;
  /** The last heartbeat; null before the first. */
  lastSeenAt: Date | null;
  exitedAt: Date | null;
  createdAt: Date;
}>;

export const WORKER_STATUSES = Object.freeze(["IDLE", "BUSY", "DRAINED"] as const);
export type WorkerStatus = (typeof WORKER_STATUSES)[number];

/** BUSY while it holds a run (drained or not), else DRAINED when drained, else IDLE. */
export function workerStatus(worker: Pick<Worker, "runId" | "drained">): WorkerStatus {
  if (worker.runId !== null) return "BUSY";
  return worker.drained ? "DRAINED" : "IDLE";
}

/** The metadata a worker registers with: string keys and values, within limits. */
export function checkMetadata(value: unknown): Record<string, string> {
  if (value === undefined || value === null) return {};
  if (typeof value !== "object" || Array.isArray(value)) throw invalid("metadata must be an object of strings");
  const entries = Object.entries(value as Record<string, unknown>);
  if (entries.length > MAX_METADATA_ENTRIES) throw invalid(`metadata is limited to ${MAX_METADATA_ENTRIES} entries`);
  for (const [key, v] of entries) {
    if (!/^[A-Za-z0-9_.-]{1,100}$/.test(key)) throw invalid("metadata keys are letters, digits, _ . and - (100 at most)");
    if (typeof v !== "string" || v.length > MAX_METADATA_VALUE) throw invalid(`metadata values are strings of ${MAX_METADATA_VALUE} characters at most`);
  }
  return Object.fromEntries(entries) as Record<string, string>;
}

export function checkLabels(labels: readonly string[] | null | undefined): string[] {
  const list = [...(labels ?? [])];
  if (list.some((l) => l.trim() === "" || l.length > 200)) throw invalid("labels must be non-empty, 200 characters at most");
  return list;
}
