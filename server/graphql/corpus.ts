// The client corpus (../shared/reference/graphql-corpus, beside this repository) and the operations
// this issue covers.
import { readFileSync } from "node:fs";

export const CORPUS_DIR = new URL("../../../shared/reference/graphql-corpus/", import.meta.url);

/** Corpus files for root fields this issue covers: all must validate (and corpus_test runs them). */
export const COVERED = Object.freeze([
  "spacectl-auth-api-key-user.graphql",
  "spacectl-debug-info.graphql",
  "spacectl-mcp-apikey-get.graphql",
  "spacectl-mcp-space-list.graphql",
  "spacectl-policy-list.graphql",
  "spacectl-policy-samples.graphql",
  "spacectl-policy-show.graphql",
  "spacectl-policy-simulate.graphql",
  "spacectl-run-cancel.graphql",
  "spacectl-run-changes.graphql",
  "spacectl-run-confirm.graphql",
  "spacectl-run-discard.graphql",
  "spacectl-run-history.graphql",
  "spacectl-run-list.graphql",
  "spacectl-run-logs.graphql",
  "spacectl-run-retry.graphql",
  "spacectl-run-review.graphql",
  "spacectl-run-stop.graphql",
  "spacectl-run-trigger-force-apply.graphql",
  "spacectl-run-trigger.graphql",
  "spacectl-stack-delete.graphql",
  "spacectl-stack-enable.graphql",
  "spacectl-stack-environment-delete.graphql",
  "spacectl-stack-environment-list.graphql",
  "spacectl-stack-environment-setvar.graphql",
  "spacectl-stack-get-by-id.graphql",
  "spacectl-stack-get-by-run-id.graphql",
  "spacectl-stack-list.graphql",
  "spacectl-stack-lock.graphql",
  "spacectl-stack-outputs.graphql",
  "spacectl-stack-resources.graphql",
  "spacectl-stack-show.graphql",
  "spacectl-stack-state-download-url.graphql",
  "spacectl-stack-unlock.graphql",
  "spacectl-task-create.graphql",
  "spacectl-task-list.graphql",
  "spacectl-viewer.graphql",
  "spacectl-workerpool-cycle.graphql",
  "spacectl-workerpool-list.graphql",
  "spacectl-workerpool-schedulable-runs.graphql",
  "spacectl-workerpool-worker-drain.graphql",
  "spacectl-workerpool-worker-list.graphql",
]);

export const corpusFile = (name: string): string => readFileSync(new URL(name, CORPUS_DIR), "utf8");
