// Leadership: the replica holding a session advisory lock, taken on a reserved connection, runs
// the croner jobs. Others retry every second; a leader killed outright loses its connection and so
// the lock, and a standby takes over within about a second. The leader checks its connection
// every second and stands down the moment it fails. Every statement on the reserved connection
// has a deadline: a connection cut at the wrong moment can leave a postgres.js query that never
// settles, and a leadership loop waiting on it would stop the schedules (the lease sweeper among
// them) for good.
import type { Sql } from "../shared/db/connect.ts";
import { describe } from "../shared/db/connect.ts";
import type { Logger } from "../shared/log.ts";
import { withTimeout } from "../shared/timeout.ts";

export const SCHEDULER_LOCK = 0x67616e7472790002n;
const STATEMENT_MS = 5000;

export async function whileLeader(
  sql: Sql,
  log: Logger,
  signal: AbortSignal,
  lead: (leadership: AbortSignal) => Promise<void>,
  options: { retryMs?: number } = {},
): Promise<void> {
  const retryMs = options.retryMs ?? 1000;
  while (!signal.aborted) {
    let reserved: Awaited<ReturnType<Sql["reserve"]>> | null = null;
    try {
      reserved = await reserveWithin(sql, 5000);
      const [row] = await withTimeout(reserved<{ ok: boolean }[]>`select pg_try_advisory_lock(${SCHEDULER_LOCK.toString()}::bigint) as ok`, STATEMENT_MS, "taking the scheduler lock");
      if (row.ok) {
        log.info("scheduler leadership acquired");
        const leadership = new AbortController();
        const stop = () => leadership.abort();
        signal.addEventListener("abort", stop, { once: true });
        if (signal.aborted) stop(); // asked to stop while the lock was being taken
        const work = lead(leadership.signal);
        while (!leadership.signal.aborted) {
          await sleep(retryMs, leadership.signal);
          if (leadership.signal.aborted) break;
          try {
            await withTimeout(reserved`select 1`, STATEMENT_MS, "checking the leader's connection");
          } catch (error) {
            log.warn("scheduler leadership lost: its connection failed", { reason: describe(error) });
            leadership.abort();
          }
        }
        signal.removeEventListener("abort", stop);
        await work;
        await withTimeout(reserved`select pg_advisory_unlock(${SCHEDULER_LOCK.toString()}::bigint)`, STATEMENT_MS, "releasing the scheduler lock").catch(() => {});
        log.info("scheduler leadership released");
      }
    } catch (error) {
      log.warn("scheduler could not contend for leadership", { reason: describe(error) });
    } finally {
      reserved?.release();
    }
    await sleep(retryMs, signal);
  }
}

/**
 * sql.reserve() can wait forever when the database drops connections while it waits (postgres.js
 * 3.4.9). Give up after `ms`; a reservation that arrives later is released at once.
 */
async function reserveWithin(sql: Sql, ms: number): Promise<Awaited<ReturnType<Sql["reserve"]>>> {
  let timedOut = false;
  const pending = sql.reserve();
  const timer = new Promise<never>((_, reject) =>
    setTimeout(() => {
      timedOut = true;
      reject(new Error(`no connection within ${ms} ms`));
    }, ms),
  );
  pending.then((r) => timedOut && r.release(), () => {});
  return Promise.race([pending, timer]);
}

function sleep(ms: number, signal: AbortSignal): Promise<void> {
  return new Promise((resolve) => {
    if (signal.aborted) return resolve();
    const timer = setTimeout(done, ms);
    function done() {
      clearTimeout(timer);
      signal.removeEventListener("abort", done);
      resolve();
    }
    signal.addEventListener("abort", done, { once: true });
  });
}
