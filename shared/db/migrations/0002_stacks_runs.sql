-- Spaces, stacks, runs with their state history, API keys with per-space roles, and the audit trail.
create table spaces (
  id text primary key check (id ~ '^[a-z0-9][a-z0-9-]{0,99}$'),
  name text not null check (name <> ''),
  description text not null default '',
  parent_space_id text references spaces (id) on delete restrict,
  inherit_entities boolean not null default false,
  labels text[] not null default '{}',
  created_at timestamptz not null default now(),
  check ((id = 'root') = (parent_space_id is null))
);
insert into spaces (id, name, description) values ('root', 'root', 'The root space');
create index spaces_parent on spaces (parent_space_id);

create table stacks (
  id text primary key check (id ~ '^[a-z0-9][a-z0-9-]{0,99}$'),
  space_id text not null references spaces (id) on delete restrict,
  name text not null check (name <> ''),
  description text not null default '',
  labels text[] not null default '{}',
  provider text not null default 'GIT',
  namespace text not null default '',
  repository text not null default '',
  branch text not null default 'main',
  project_root text not null default '',
  additional_project_globs text[] not null default '{}',
  vendor text not null default 'OPENTOFU' check (vendor in ('TERRAFORM', 'OPENTOFU', 'TERRAGRUNT', 'PULUMI', 'KUBERNETES', 'ANSIBLE', 'CLOUDFORMATION')),
  vendor_config jsonb not null default '{}',
  worker_pool_id text,
  runner_image text,
  autodeploy boolean not null default false,
  autoretry boolean not null default false,
  allow_run_promotion boolean not null default true,
  local_preview_enabled boolean not null default false,
  protect_from_deletion boolean not null default false,
  manages_state boolean not null default true,
  is_disabled boolean not null default false,
  before_init text[] not null default '{}',
  after_init text[] not null default '{}',
  before_plan text[] not null default '{}',
  after_plan text[] not null default '{}',
  before_apply text[] not null default '{}',
  after_apply text[] not null default '{}',
  before_destroy text[] not null default '{}',
  after_destroy text[] not null default '{}',
  before_perform text[] not null default '{}',
  after_perform text[] not null default '{}',
  after_run text[] not null default '{}',
  locked_by text,
  locked_at timestamptz,
  lock_note text,
  created_at timestamptz not null default now(),
  updated_at timestamptz not null default now(),
  check ((locked_by is null) = (locked_at is null))
);
create index stacks_space on stacks (space_id, id);
create index stacks_name on stacks (name, id);

create table runs (
  id text primary key check (length(id) = 26),
  stack_id text not null references stacks (id) on delete cascade,
  type text not null check (type in ('TRACKED', 'PROPOSED', 'TASK', 'DESTROY')),
  state text not null,
  terminal boolean not null default false,
  drift_detection boolean not null default false,
  commit_sha text,
  commit_branch text not null,
  commit_message text,
  commit_author text,
  triggered_by text not null,
  note text,
  command text,
  skip_initialization boolean not null default false,
  force_apply text check (force_apply in ('SINGLE', 'CASCADE')),
  runtime_config text,
  retry_of text references runs (id) on delete set null,
  promoted_from text references runs (id) on delete set null,
  created_at timestamptz not null default now(),
  updated_at timestamptz not null default now(),
  check ((type = 'TASK') = (command is not null))
);
-- Per-stack listings, newest first (runs / proposedRuns / tasks, keyset on id).
create index runs_stack_type on runs (stack_id, type, id desc);
-- The stack's exclusive lock: the oldest unfinished blocking run holds it.
create index runs_blocking on runs (stack_id, id) where not terminal and type in ('TRACKED', 'TASK', 'DESTROY');
-- The scheduling queue.
create index runs_queued on runs (id) where state = 'QUEUED';

create table run_transitions (
  run_id text not null references runs (id) on delete cascade,
  seq int not null,
  state text not null,
  state_version int not null,
  actor text not null,
  note text,
  created_at timestamptz not null default now(),
  primary key (run_id, seq)
);

create table api_keys (
  id text primary key check (length(id) = 26),
  name text not null check (name <> ''),
  description text not null default '',
  secret_salt bytea not null,
  secret_hash bytea not null,
  admin boolean not null default false,
  created_by text not null,
  created_at timestamptz not null default now(),
  last_used_at timestamptz,
  deleted_at timestamptz
);

create table api_key_roles (
  api_key_id text not null references api_keys (id) on delete cascade,
  space_id text not null references spaces (id) on delete cascade,
  role text not null check (role in ('read', 'write', 'admin')),
  primary key (api_key_id, space_id)
);

create table audit_entries (
  id bigint generated always as identity primary key,
  actor text not null,
  action text not null,
  target_type text not null,
  target_id text,
  outcome text not null check (outcome in ('success', 'failure')),
  error text,
  created_at timestamptz not null default now()
);
create index audit_entries_created on audit_entries (created_at desc, id desc);
