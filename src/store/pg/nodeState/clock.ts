// The time a shared piece of state counts in: the database's, so that nodes whose clocks differ
// still agree; or a clock the caller gives (tests move it). In SQL: `COALESCE(${clockParam(now)}::bigint, floor(extract(epoch from clock_timestamp()) * 1000)::bigint)`.

/** The caller's time, or null for the database's. */
export function clockParam(now?: () => number): number | null {
  return now ? now() : null;
}

/** Says when a node's purge of expired rows is due: at most once a minute (or when its clock went back). */
export class PurgeSchedule {
  private lastMs = 0;

  due(nowMs: number): boolean {
    if (nowMs - this.lastMs < 60_000 && nowMs >= this.lastMs) return false;
    this.lastMs = nowMs;
    return true;
  }
}
