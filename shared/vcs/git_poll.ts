// Raw Git stacks have no webhooks: the scheduler asks the drain every minute to look at the heads
// of their tracked branches. A stack seen for the first time only records its head; a head that
// moved becomes a TRACKED run when the push policy says so (files from `git diff old new`).
// Only stacks using a raw Git integration (named, or the default one) are polled.
import type { Sql } from "../db/connect.ts";
import type { Logger } from "../log.ts";
import { toStack, type StackView } from "../stacks/queries.ts";
import type { CloneAuth } from "./client.ts";
import { commitInfo, diffNames, remoteHeads, withClone } from "./git.ts";
import { integrationCredentials } from "./queries.ts";
import { decidePush } from "./push_policy.ts";
import { createVcsRun } from "./runs.ts";
import type { VcsDeps } from "./process.ts";

type Polled = StackView & Readonly<{ integrationId: string; lastSha: string | null }>;

async function pollable(sql: Sql): Promise<Polled[]> {
  const rows = await sql<Record<string, unknown>[]>`
    select s.*, i.id as integration_id, h.commit_sha as last_sha
    from stacks s
    join vcs_integrations i on i.provider = 'GIT' and (i.id = s.vcs_integration_id or (s.vcs_integration_id is null and i.is_default))
    left join vcs_git_heads h on h.stack_id = s.id
    where s.provider = 'GIT' and s.repository <> '' and not s.is_disabled
    order by s.id`;
  return rows.map((r) => ({ ...toStack(r as Record<string, unknown> & { id: string }), integrationId: r.integration_id as string, lastSha: (r.last_sha as string | null) ?? null }));
}

export type PollResult = Readonly<{ polled: number; created: string[]; failed: number }>;

export async function pollGitStacks(sql: Sql, deps: VcsDeps, log: Logger): Promise<PollResult> {
  const stacks = await pollable(sql);
  const byRemote = new Map<string, Polled[]>();
  for (const s of stacks) byRemote.set(`${s.integrationId}\n${s.repository}`, [...(byRemote.get(`${s.integrationId}\n${s.repository}`) ?? []), s]);
  const created: string[] = [];
  let failed = 0;
  for (const group of byRemote.values()) {
    const c = await integrationCredentials(sql, deps.key, group[0].integrationId);
    const auth: CloneAuth = { url: group[0].repository, credentials: c?.username !== undefined && c.password !== undefined ? { username: c.username, password: c.password } : null };
    try {
      const heads = await remoteHeads(auth);
      const moved = group.filter((s) => heads.has(s.branch) && heads.get(s.branch) !== s.lastSha);
      const first = moved.filter((s) => s.lastSha === null);
      const changed = moved.filter((s) => s.lastSha !== null);
      if (changed.length) {
        await withClone(auth, async (dir, env) => {
          for (const s of changed) {
            const head = heads.get(s.branch) as string;
            const files = await diffNames(dir, env, s.lastSha as string, head);
            const commit = await commitInfo(dir, env, head);
            const d = decidePush({
              push: { affected_files: files, branch: s.branch, tag: "", hash: head, message: commit.message ?? "", author: commit.author ?? "", deleted: false },
              stack: { id: s.id, branch: s.branch, project_root: s.projectRoot, additional_project_globs: s.additionalProjectGlobs },
              in_progress: [],
            });
            if (d.track && !d.ignore) {
              const outcome = await createVcsRun(sql, { stackId: s.id, type: "TRACKED", sha: head, branch: s.branch, message: commit.message, author: commit.author, triggeredBy: "git/poll", pullRequest: null });
              if (outcome.created) created.push(outcome.run.id);
            }
          }
        });
      }
      for (const s of moved) await sql`
        insert into vcs_git_heads (stack_id, commit_sha) values (${s.id}, ${heads.get(s.branch) as string})
        on conflict (stack_id) do update set commit_sha = excluded.commit_sha, seen_at = now()`;
      if (first.length) log.info("raw Git heads recorded", { stacks: first.length });
    } catch (error) {
      failed += group.length;
      log.warn("raw Git poll failed", { stacks: group.map((s) => s.id).join(","), reason: (error as Error).message });
    }
  }
  return { polled: stacks.length, created, failed };
}
