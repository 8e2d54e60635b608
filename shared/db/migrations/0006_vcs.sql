-- VCS integrations (GitHub, GitLab, raw Git) with sealed credentials, stacks linked to them, inbound webhook deliveries kept raw and deduplicated by delivery id, the runs VCS events created (one per stack, commit and run type), PR comments to update in place, and raw Git poll positions.
create table vcs_integrations (
  id text primary key check (length(id) = 26),
  space_id text not null references spaces (id) on delete restrict,
  provider text not null check (provider in ('GITHUB', 'GITLAB', 'GIT')),
  name text not null check (name <> ''),
  description text not null default '',
  labels text[] not null default '{}',
  -- The provider's default integration: stacks of that provider naming no integration use it.
  is_default boolean not null default false,
  -- GitHub: https://api.github.com or https://<ghe>/api/v3; GitLab: https://gitlab.com; raw Git: ''.
  api_host text not null default '',
  -- Where people and git clones reach the host (https://github.com, https://gitlab.example.com).
  user_facing_host text not null default '',
  -- GitHub App id; null for a token integration.
  app_id text,
  -- AES-256-GCM (shared/crypto_seal.ts) of a JSON object: {token} | {privateKey} | {username, password}; bound to the row.
  credentials_sealed bytea,
  webhook_secret_sealed bytea,
  created_at timestamptz not null default now(),
  updated_at timestamptz not null default now()
);
create unique index vcs_integrations_one_default on vcs_integrations (provider) where is_default;
create index vcs_integrations_space on vcs_integrations (space_id);

alter table stacks add column vcs_integration_id text
  constraint stacks_vcs_integration_fk references vcs_integrations (id) on delete restrict;
create index stacks_vcs_repository on stacks (provider, namespace, repository);

-- Inbound webhook deliveries, raw as received; the primary key deduplicates redeliveries.
create table vcs_deliveries (
  provider text not null check (provider in ('GITHUB', 'GITLAB')),
  delivery_id text not null check (delivery_id <> '' and length(delivery_id) <= 200),
  integration_id text references vcs_integrations (id) on delete set null,
  event text not null,
  payload bytea not null,
  received_at timestamptz not null default now(),
  processed_at timestamptz,
  -- What processing did, for people: "ignored: …", or the runs created.
  outcome text,
  primary key (provider, delivery_id)
);
create index vcs_deliveries_received on vcs_deliveries (received_at);

-- The runs VCS events created. Per stack, one run per commit and run type (Spacelift's
-- deduplication), so a redelivery or a push and a pull request for one commit create one run.
create table vcs_runs (
  stack_id text not null references stacks (id) on delete cascade,
  commit_sha text not null,
  run_type text not null check (run_type in ('TRACKED', 'PROPOSED')),
  run_id text not null references runs (id) on delete cascade deferrable initially deferred,
  -- The pull (merge) request the run belongs to, when known.
  pull_request integer,
  created_at timestamptz not null default now(),
  primary key (stack_id, commit_sha, run_type)
);
create unique index vcs_runs_run on vcs_runs (run_id);

-- One plan-summary comment per pull request and stack, edited in place.
create table vcs_pr_comments (
  integration_id text not null references vcs_integrations (id) on delete cascade,
  repository text not null, -- namespace/repository
  pull_request integer not null,
  stack_id text not null references stacks (id) on delete cascade,
  comment_id text not null,
  run_id text,
  updated_at timestamptz not null default now(),
  primary key (integration_id, repository, pull_request, stack_id)
);

-- Raw Git stacks: the head of the tracked branch last seen by the poller.
create table vcs_git_heads (
  stack_id text primary key references stacks (id) on delete cascade,
  commit_sha text not null,
  seen_at timestamptz not null default now()
);
