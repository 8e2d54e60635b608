-- The job queue lives in Postgres: jobs under leases, dead letters, per-queue counters, and the
-- (schedule, fire time) ledger that makes cron enqueueing idempotent.
create table queue_jobs (
  id bigint generated always as identity primary key,
  queue text not null check (queue in ('webhooks', 'async', 'async_fifo', 'cronjobs', 'worker_messages')),
  kind text not null check (kind <> ''),
  payload jsonb not null default '{}',
  fifo_key text,
  priority int not null default 0,
  run_at timestamptz not null default now(),
  attempts int not null default 0,
  max_attempts int not null default 5 check (max_attempts > 0),
  locked_by text,
  locked_until timestamptz,
  last_error text,
  created_at timestamptz not null default now()
);

-- Claim order for unleased jobs.
create index queue_jobs_claimable on queue_jobs (queue, priority desc, run_at, id) where locked_until is null;
-- Head-of-line check for FIFO keys.
create index queue_jobs_fifo on queue_jobs (queue, fifo_key, id) where fifo_key is not null;
-- Sweeper.
create index queue_jobs_leased on queue_jobs (locked_until) where locked_until is not null;

create table queue_dead_letters (
  id bigint primary key,
  queue text not null,
  kind text not null,
  payload jsonb not null,
  fifo_key text,
  attempts int not null,
  last_error text not null,
  created_at timestamptz not null,
  failed_at timestamptz not null default now()
);

create table queue_counters (
  queue text primary key,
  processed bigint not null default 0,
  failed bigint not null default 0,
  dead bigint not null default 0
);
insert into queue_counters (queue) values ('webhooks'), ('async'), ('async_fifo'), ('cronjobs'), ('worker_messages');

-- The doorbell: one NOTIFY per inserting statement and queue. It carries only the queue name.
create function queue_jobs_notify() returns trigger language plpgsql as $$
declare
  q text;
begin
  for q in select distinct queue from new_jobs loop
    perform pg_notify('gantry_queue', q);
  end loop;
  return null;
end $$;

create trigger queue_jobs_notify after insert on queue_jobs
  referencing new table as new_jobs for each statement execute function queue_jobs_notify();

create table cron_fires (
  schedule text not null,
  fire_at timestamptz not null,
  job_id bigint,
  enqueued_by text not null,
  enqueued_at timestamptz not null default now(),
  primary key (schedule, fire_at)
);
