-- Worker pools and their workers: pool secrets and worker broker credentials stored hashed, and each worker's current run (the assignment, held under a deadline, then a heartbeat lease).
create table worker_pools (
  id text primary key check (length(id) = 26),
  space_id text not null references spaces (id) on delete restrict,
  name text not null check (name <> ''),
  description text not null default '',
  labels text[] not null default '{}',
  -- scrypt(pool secret, salt); a reset replaces both and bumps the generation.
  secret_salt bytea not null,
  secret_hash bytea not null,
  generation int not null default 1,
  created_at timestamptz not null default now(),
  updated_at timestamptz not null default now()
);
create index worker_pools_space on worker_pools (space_id, id);

create table workers (
  id text primary key check (length(id) = 26),
  pool_id text not null references worker_pools (id) on delete cascade,
  -- The pool generation the worker registered with: a reset of the pool retires the worker.
  generation int not null,
  -- scrypt(broker password, salt): the worker's MQTT credentials (username = id).
  secret_salt bytea not null,
  secret_hash bytea not null,
  metadata jsonb not null default '{}',
  drained boolean not null default false,
  -- The run assigned to the worker; one run per worker, one worker per run.
  run_id text unique references runs (id) on delete set null,
  -- Until accepted: the deadline to accept. Once accepted: the lease heartbeats extend.
  run_lease_until timestamptz,
  run_accepted boolean not null default false,
  -- The last heartbeat; null until the first, which the worker sends once it listens on its topic.
  last_seen_at timestamptz,
  -- Set when the worker left (shut down, cycled, or its pool was reset).
  exited_at timestamptz,
  created_at timestamptz not null default now()
);
create index workers_pool on workers (pool_id, id) where exited_at is null;

-- READY runs waiting for a worker, per stack.
create index runs_ready on runs (stack_id, id) where state = 'READY';

-- A stack names a pool that exists. Before this migration no pool could exist, so any value was
-- meaningless: it is cleared.
update stacks set worker_pool_id = null where worker_pool_id is not null;
alter table stacks add constraint stacks_worker_pool_fk foreign key (worker_pool_id) references worker_pools (id) on delete restrict;
create index stacks_worker_pool on stacks (worker_pool_id) where worker_pool_id is not null;
