// Leadership: the replica holding a session advisory lock, taken on a reserved connection, runs
// the croner jobs. Others retry every second; a leader killed outright loses its connection and so
// the lock, and a standby takes over within about a second. The leader checks its connection
// every second and stands down the moment it fails.
import type { Sql } from "../shared/db/connect.ts";
import { describe } from "../shared/db/connect.ts";
import type { Logger } from "../shared/log.ts";

export const SCHEDULER_LOCK = 0x67616e7472790002n;

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
      const [row] = await reserved<{ ok: boolean }[]>`select pg_try_advisory_lock(${SCHEDULER_LOCK.toString()}::bigint) as ok`;
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
            await reserved`select 1`;
          } catch (error) {
            log.warn("scheduler leadership lost: its connection failed", { reason: describe(error) });
            leadership.abort();
          }
        }
        signal.removeEventListener("abort", stop);
        await work;
        await reserved`select pg_advisory_unlock(${SCHEDULER_LOCK.toString()}::bigint)`.catch(() => {});
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
