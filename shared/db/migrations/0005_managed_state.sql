-- Managed Terraform state: each write is a version (its bytes in object storage, bucket states) and one version is current; Terraform's workspace lock; the resources the current state holds.
create table state_versions (
  id text primary key,
  stack_id text not null references stacks (id) on delete cascade,
  serial bigint not null check (serial >= 0),
  lineage text not null check (lineage <> ''),
  terraform_version text not null,
  size_bytes bigint not null check (size_bytes >= 0),
  -- hex SHA-256 of the bytes.
  checksum text not null,
  -- WRITE: a run through the HTTP backend; IMPORT: an upload by an admin (or at stack creation);
  -- ROLLBACK: a copy of an older version (source_version_id) made current by an admin.
  kind text not null check (kind in ('WRITE', 'IMPORT', 'ROLLBACK')),
  -- An admin accepted a lower serial or another lineage.
  forced boolean not null default false,
  source_version_id text references state_versions (id) on delete set null,
  run_id text references runs (id) on delete set null,
  actor text not null,
  created_at timestamptz not null default now()
);
create index state_versions_stack on state_versions (stack_id, id);

-- One row per stack whose state Gantry has touched: the current version and Terraform's lock.
create table stack_states (
  stack_id text primary key references stacks (id) on delete cascade,
  current_version_id text references state_versions (id) on delete set null,
  -- Terraform's lock: its ID, the lock info JSON it sent, the run that took it, when.
  lock_id text,
  lock_info jsonb,
  lock_run_id text references runs (id) on delete set null,
  locked_at timestamptz,
  check ((lock_id is null) = (lock_info is null) and (lock_id is null) = (locked_at is null))
);

-- The resource instances of the current state (Stack.entities); values are sanitised.
create table stack_resources (
  stack_id text not null references stacks (id) on delete cascade,
  address text not null,
  mode text not null,
  type text not null,
  name text not null,
  -- The module address, '' for the root module.
  module text not null,
  provider text not null,
  tainted boolean not null,
  "values" jsonb not null,
  -- hex SHA-256 of the instance's attributes as stored in the state: a change marks the updater.
  values_hash text not null,
  created_by_run_id text references runs (id) on delete set null,
  updated_by_run_id text references runs (id) on delete set null,
  created_at timestamptz not null default now(),
  updated_at timestamptz not null default now(),
  primary key (stack_id, address)
);
