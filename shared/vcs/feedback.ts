// Writing a run's progress back to its VCS: a commit status per stack (context gantry/<stack>,
// linking to the run) from the run's state now, and for a proposed run of a pull request, once it
// has a plan or ends, the plan summary in one comment per pull request and stack, edited in place.
// The drain's feedback handler calls sendFeedback; it reads current state, so a retried or late
// job reports the truth, not the state that enqueued it.
import type { Sql } from "../db/connect.ts";
import { getRunById, type Run } from "../runs/queries.ts";
import { getPlan, type StoredPlan } from "../runs/results.ts";
import type { RunState } from "../runs/run.ts";
import { getStack, type StackView } from "../stacks/queries.ts";
import { repoPath, type CommitStatus, type StatusState } from "./client.ts";
import { clientForIntegration, stackIntegration } from "./clients.ts";
import type { VcsDeps } from "./process.ts";

const DESCRIPTIONS: Readonly<Partial<Record<RunState, string>>> = Object.freeze({
  QUEUED: "Queued",
  READY: "Waiting for a worker",
  PREPARING: "Preparing",
  INITIALIZING: "Initializing",
  PLANNING: "Planning",
  PENDING_REVIEW: "Waiting for review",
  UNCONFIRMED: "Waiting for confirmation",
  CONFIRMED: "Confirmed",
  PREPARING_APPLY: "Preparing the apply",
  APPLYING: "Applying",
  PERFORMING: "Performing",
  DESTROYING: "Destroying",
  FINISHED: "Finished",
  FAILED: "Failed",
  STOPPED: "Stopped",
  CANCELED: "Canceled",
  DISCARDED: "Discarded",
  SKIPPED: "Skipped",
});

const delta = (plan: StoredPlan | null) => (plan ? ` (+${plan.add} ~${plan.change} -${plan.destroy})` : "");

/** The commit status for a run in its current state. */
export function statusFor(run: Pick<Run, "state" | "type">, plan: StoredPlan | null, targetUrl: string, stackId: string): CommitStatus {
  let state: StatusState = "pending";
  if (run.state === "FINISHED") state = "success";
  else if (run.state === "FAILED") state = "failure";
  else if (run.state === "STOPPED" || run.state === "CANCELED" || run.state === "DISCARDED" || run.state === "SKIPPED") state = "error";
  const planned = run.state === "FINISHED" || run.state === "UNCONFIRMED" || run.state === "PENDING_REVIEW";
  const what = run.type === "PROPOSED" ? "Proposed run" : "Tracked run";
  return { state, context: `gantry/${stackId}`, description: `${what}: ${DESCRIPTIONS[run.state] ?? run.state}${planned ? delta(plan) : ""}`, targetUrl };
}

export const runUrl = (publicUrl: string, stackId: string, runId: string) => `${publicUrl.replace(/\/+$/, "")}/stack/${encodeURIComponent(stackId)}/run/${encodeURIComponent(runId)}`;

const MAX_LISTED = 50;

/** The pull request comment: the plan summary of the stack's latest proposed run. */
export function commentBody(stack: Pick<StackView, "id" | "name">, run: Pick<Run, "id" | "state" | "commitSha">, plan: StoredPlan | null, url: string): string {
  const lines = [`<!-- gantry:stack:${stack.id} -->`, `### Gantry: ${stack.name}`, "", `Proposed run [${run.id}](${url}) at \`${(run.commitSha ?? "").slice(0, 12)}\`: **${DESCRIPTIONS[run.state] ?? run.state}**`, ""];
  if (plan) {
    lines.push(`Plan: **${plan.add}** to add, **${plan.change}** to change, **${plan.destroy}** to destroy.`);
    const changed = plan.resources.filter((r) => r.actions.some((a) => a !== "no-op" && a !== "read"));
    if (changed.length) {
      lines.push("", "| action | resource |", "|---|---|");
      for (const r of changed.slice(0, MAX_LISTED)) lines.push(`| ${r.actions.join(", ")} | \`${String(r.address).replace(/[|`]/g, "")}\` |`);
      if (changed.length > MAX_LISTED) lines.push(`| … | and ${changed.length - MAX_LISTED} more |`);
    }
  } else if (run.state === "FINISHED") {
    lines.push("No changes.");
  } else {
    lines.push("No plan.");
  }
  return lines.join("\n");
}

/** Comments wait for a plan: a proposed run that has finished, failed after planning, or awaits review. */
const COMMENT_STATES: readonly RunState[] = ["FINISHED", "FAILED", "PENDING_REVIEW", "STOPPED"];

export type FeedbackResult = Readonly<{ status: CommitStatus | null; commented: boolean; skipped?: string }>;

export async function sendFeedback(sql: Sql, deps: VcsDeps, runId: string): Promise<FeedbackResult> {
  const run = await getRunById(sql, runId);
  if (!run || !run.commitSha) return { status: null, commented: false, skipped: "no run at a commit" };
  const stack = await getStack(sql, run.stackId);
  if (!stack) return { status: null, commented: false, skipped: "stack deleted" };
  const integration = await stackIntegration(sql, stack);
  if (!integration || integration.provider === "GIT") return { status: null, commented: false, skipped: "no integration" };
  const client = await clientForIntegration(sql, deps.key, integration, deps.clientOptions);
  const repo = { namespace: stack.namespace, name: stack.repository };
  const plan = await getPlan(sql, run.id);
  const url = runUrl(deps.publicUrl, stack.id, run.id);
  const status = statusFor(run, plan, url, stack.id);
  await client.setCommitStatus(repo, run.commitSha, status);

  if (run.type !== "PROPOSED" || !COMMENT_STATES.includes(run.state)) return { status, commented: false };
  const [link] = await sql<{ pull_request: number | null }[]>`select pull_request from vcs_runs where run_id = ${run.id}`;
  if (!link?.pull_request) return { status, commented: false };
  // Only the newest proposed run of this pull request speaks for the stack.
  const [newer] = await sql`select 1 from vcs_runs v join runs r on r.id = v.run_id where v.stack_id = ${stack.id} and v.pull_request = ${link.pull_request} and v.run_type = 'PROPOSED' and r.id > ${run.id} limit 1`;
  if (newer) return { status, commented: false, skipped: "a newer run speaks for this pull request" };
  const key = { integration: integration.id, repository: repoPath(repo), pr: link.pull_request, stack: stack.id };
  const [existing] = await sql<{ comment_id: string }[]>`
    select comment_id from vcs_pr_comments where integration_id = ${key.integration} and repository = ${key.repository} and pull_request = ${key.pr} and stack_id = ${key.stack}`;
  const commentId = await client.upsertComment(repo, link.pull_request, existing?.comment_id ?? null, commentBody(stack, run, plan, url));
  await sql`
    insert into vcs_pr_comments (integration_id, repository, pull_request, stack_id, comment_id, run_id)
    values (${key.integration}, ${key.repository}, ${key.pr}, ${key.stack}, ${commentId}, ${run.id})
    on conflict (integration_id, repository, pull_request, stack_id) do update set comment_id = excluded.comment_id, run_id = excluded.run_id, updated_at = now()`;
  return { status, commented: true };
}
