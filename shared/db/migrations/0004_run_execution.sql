-- What running stacks needs: the stacks' configuration (environment variables and mounted files, values sealed), plan summaries, outputs, and a flag for stacks a failed apply left needing attention.
create table stack_config (
  stack_id text not null references stacks (id) on delete cascade,
  -- The variable's name, or the mounted file's path relative to the workspace root.
  id text not null check (id <> '' and length(id) <= 1024),
  type text not null check (type in ('ENVIRONMENT_VARIABLE', 'FILE_MOUNT')),
  -- AES-256-GCM under a key derived from the installation's secret key: nonce || ciphertext || tag.
  value_sealed bytea not null,
  -- hex SHA-256 of the value (Spacelift's checksum).
  checksum text not null,
  write_only boolean not null,
  description text,
  created_at timestamptz not null default now(),
  primary key (stack_id, id)
);

create table run_plans (
  run_id text primary key references runs (id) on delete cascade,
  add_count int not null check (add_count >= 0),
  change_count int not null check (change_count >= 0),
  destroy_count int not null check (destroy_count >= 0),
  -- [{address, type, name, actions}]
  resources jsonb not null default '[]',
  created_at timestamptz not null default now()
);

create table stack_outputs (
  stack_id text not null references stacks (id) on delete cascade,
  id text not null,
  sensitive boolean not null,
  -- JSON text of the value; always null when sensitive.
  value text,
  run_id text references runs (id) on delete set null,
  updated_at timestamptz not null default now(),
  primary key (stack_id, id),
  check (not sensitive or value is null)
);

-- A run whose worker was lost while it changed infrastructure leaves the stack needing attention
-- until a tracked run finishes there again; nothing is retried by itself.
alter table stacks add column needs_attention text;

-- Confirmed runs wait for a worker too.
create index runs_confirmed on runs (stack_id, id) where state = 'CONFIRMED';

-- The default pool: stacks that name no pool run there (Spacelift's public workers). `npm start`
-- creates it and runs one local worker in it.
alter table worker_pools add column is_default boolean not null default false;
create unique index worker_pools_default on worker_pools ((true)) where is_default;
-- Where each stack's runs go: its own pool, else the default pool (null when there is none).
create view stack_pools as
  select s.id as stack_id, coalesce(s.worker_pool_id, d.id) as pool_id
  from stacks s left join worker_pools d on d.is_default and s.worker_pool_id is null;

-- Server → worker messages, kept for the HTTP long-poll transport (workers that reach no broker)
-- and published over MQTT too; a worker reads those after its cursor. Kept 15 minutes.
create table worker_outbox (
  id bigint generated always as identity primary key,
  worker_id text not null references workers (id) on delete cascade,
  payload jsonb not null,
  created_at timestamptz not null default now()
);
create index worker_outbox_worker on worker_outbox (worker_id, id);
create index worker_outbox_created on worker_outbox (created_at);
