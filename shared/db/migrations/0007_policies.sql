-- Spacelift's policies as data (Rego bodies, attachments to stacks, every evaluation recorded), run reviews for approval policies, plan decisions that bind the worker, trigger chains, login grants, and notifications (inbox entries, named webhooks and their deliveries).
create table policies (
  id text primary key check (id ~ '^[a-z0-9][a-z0-9-]{0,99}$'),
  space_id text not null references spaces (id) on delete restrict,
  name text not null check (name <> ''),
  description text not null default '',
  body text not null,
  type text not null check (type in ('ACCESS', 'APPROVAL', 'GIT_PUSH', 'INITIALIZATION', 'INTENT', 'LOGIN', 'NOTIFICATION', 'PLAN', 'TASK', 'TRIGGER')),
  engine_type text not null default 'REGO_V0' check (engine_type in ('REGO_V0', 'REGO_V1')),
  labels text[] not null default '{}',
  created_at timestamptz not null default now(),
  -- Part of the compiled-policy cache key: every update moves it.
  updated_at timestamptz not null default now()
);
create index policies_type on policies (type, space_id);

-- Direct attachments; attachments by label (autoattach:<label> on the policy) are computed.
create table policy_attachments (
  id text primary key check (length(id) = 26),
  policy_id text not null references policies (id) on delete cascade,
  stack_id text not null references stacks (id) on delete cascade,
  created_at timestamptz not null default now(),
  unique (policy_id, stack_id)
);
create index policy_attachments_stack on policy_attachments (stack_id);

-- One row per evaluation of one policy: its input (never stack configuration values), decision, messages, duration.
create table policy_evaluations (
  id text primary key check (length(id) = 26),
  policy_id text not null references policies (id) on delete cascade,
  kind text not null,
  stack_id text references stacks (id) on delete cascade,
  run_id text references runs (id) on delete cascade,
  -- allow, deny, warn, approve, reject, undecided, track, propose, ignore, trigger, error, …
  outcome text not null,
  input jsonb not null,
  decision jsonb not null default '{}',
  messages text[] not null default '{}',
  -- The policy body as evaluated (it may change afterwards).
  body text not null,
  error text,
  duration_ms double precision not null,
  created_at timestamptz not null default now()
);
create index policy_evaluations_policy on policy_evaluations (policy_id, id desc);
create index policy_evaluations_run on policy_evaluations (run_id) where run_id is not null;

-- The combined plan policy decision for a run: deny lets the run only fail; warn keeps a tracked run from applying unconfirmed.
create table run_plan_decisions (
  run_id text primary key references runs (id) on delete cascade,
  outcome text not null check (outcome in ('allow', 'deny', 'warn')),
  messages text[] not null default '{}',
  pending_review boolean not null default false,
  created_at timestamptz not null default now()
);

-- runReview: the newest review per reviewer counts for the run's current state version.
create table run_reviews (
  id bigint generated always as identity primary key,
  run_id text not null references runs (id) on delete cascade,
  author text not null,
  decision text not null check (decision in ('APPROVE', 'REJECT')),
  note text not null default '',
  state text not null,
  state_version int not null,
  created_at timestamptz not null default now()
);
create index run_reviews_run on run_reviews (run_id, id);

-- The approval policies' last combined outcome per run state version; re-evaluated when reviews change.
create table run_approvals (
  run_id text not null references runs (id) on delete cascade,
  state text not null,
  state_version int not null,
  reviews bigint not null,
  outcome text not null check (outcome in ('approve', 'reject', 'undecided')),
  created_at timestamptz not null default now(),
  primary key (run_id, state, state_version)
);

-- Runs created by trigger policies carry the chain they belong to (the first run's id): the trigger input's workflow.
create table run_trigger_chains (
  run_id text primary key references runs (id) on delete cascade,
  chain_id text not null,
  policy_id text references policies (id) on delete set null
);
create index run_trigger_chains_chain on run_trigger_chains (chain_id);

-- What login policies granted an API key at its latest login, on top of its own roles.
create table login_grants (
  api_key_id text primary key references api_keys (id) on delete cascade,
  admin boolean not null default false,
  roles jsonb not null default '{}',
  granted_at timestamptz not null default now()
);

-- Notification policy `inbox` entries.
create table notifications (
  id text primary key check (length(id) = 26),
  space_id text not null references spaces (id) on delete cascade,
  stack_id text references stacks (id) on delete cascade,
  run_id text references runs (id) on delete cascade,
  policy_id text references policies (id) on delete set null,
  title text not null,
  body text not null default '',
  severity text not null check (severity in ('INFO', 'WARNING', 'ERROR')),
  created_at timestamptz not null default now()
);
create index notifications_created on notifications (created_at desc, id desc);

-- Named webhooks: where notification policies' `webhook` rules send (by endpoint_id).
create table named_webhooks (
  id text primary key check (id ~ '^[a-z0-9][a-z0-9-]{0,99}$'),
  space_id text not null references spaces (id) on delete restrict,
  name text not null check (name <> ''),
  endpoint text not null,
  labels text[] not null default '{}',
  enabled boolean not null default true,
  created_at timestamptz not null default now()
);

create table webhook_deliveries (
  id text primary key check (length(id) = 26),
  webhook_id text not null references named_webhooks (id) on delete cascade,
  policy_id text references policies (id) on delete set null,
  run_id text references runs (id) on delete set null,
  method text not null default 'POST',
  headers jsonb not null default '{}',
  payload text not null,
  status text not null default 'pending' check (status in ('pending', 'delivered', 'failed')),
  response_status int,
  error text,
  attempts int not null default 0,
  created_at timestamptz not null default now(),
  delivered_at timestamptz
);
create index webhook_deliveries_webhook on webhook_deliveries (webhook_id, id desc);
