// The rate limits' token buckets in PostgreSQL, shared by every node (docs/ARCHITECTURE.md, "State
// one process holds"): all nodes together allow one burst per key, not one each.
import type { SQL } from "bun";
import { clockParam, PurgeSchedule } from "./clock";

// The shapes of src/auth/rateLimits.ts (store imports no auth; the tests hold this class to
// auth's `RateLimiter` interface).
interface BucketPolicy {
  burst: number;
  perSecond: number;
}
type RateDecision = { allowed: true } | { allowed: false; retryAfterSeconds: number };

export interface PgRateLimiterOptions {
  /** The clock; by default the database's, one clock for every node. */
  now?: () => number;
}

/**
 * A take is one statement: it locks the keys' rows, refills them in SQL from their stored time
 * (auth's `refilled`: a missing row is a full bucket), and writes one token less
 * to every one of them only when each has a token (all or none), so concurrent takes on any node
 * cannot both spend the last token. Rows are created full beforehand (the same as none) so the
 * take has rows to lock. Bounded: a bucket full again is the same as none, and such rows are
 * deleted at most once a minute per node; the table holds the keys used within a refill time.
 */
export class PgRateLimiter {
  private readonly purges = new PurgeSchedule();

  constructor(
    private readonly sql: SQL,
    private readonly opts: PgRateLimiterOptions = {},
  ) {}

  async take(keys: readonly string[], policy: BucketPolicy): Promise<RateDecision> {
    if (keys.length === 0) return { allowed: true };
    const list = [...new Set(keys)].sort();
    const at = clockParam(this.opts.now);
    await this.sql`INSERT INTO rate_buckets (key, tokens, at_ms, full_at_ms)
      SELECT k, ${policy.burst}, 0, 0 FROM unnest(${list}::text[]) AS k ORDER BY k ON CONFLICT (key) DO NOTHING`;
    const [row] = await this.sql`
      WITH clock AS (SELECT COALESCE(${at}::bigint, floor(extract(epoch from clock_timestamp()) * 1000)::bigint) AS ms),
      locked AS (SELECT key, tokens, at_ms FROM rate_buckets WHERE key = ANY(${list}::text[]) ORDER BY key FOR UPDATE),
      cur AS (
        SELECT k AS key, CASE WHEN l.key IS NULL THEN ${policy.burst}::float8
          ELSE LEAST(${policy.burst}::float8, l.tokens + GREATEST(0, clock.ms - l.at_ms) / 1000.0 * ${policy.perSecond}::float8) END AS tokens
        FROM unnest(${list}::text[]) AS k LEFT JOIN locked l ON l.key = k, clock
      ),
      verdict AS (SELECT bool_and(tokens >= 1) AS allowed, max(1 - tokens) AS lacking FROM cur),
      taken AS (
        INSERT INTO rate_buckets (key, tokens, at_ms, full_at_ms)
        SELECT cur.key, cur.tokens - 1, clock.ms, clock.ms + ceil((${policy.burst}::float8 - (cur.tokens - 1)) / ${policy.perSecond}::float8 * 1000)::bigint
        FROM cur, clock, verdict WHERE verdict.allowed
        ON CONFLICT (key) DO UPDATE SET tokens = excluded.tokens, at_ms = excluded.at_ms, full_at_ms = excluded.full_at_ms
      )
      SELECT verdict.allowed, verdict.lacking, clock.ms FROM verdict, clock`;
    if (!row.allowed) return { allowed: false, retryAfterSeconds: Math.max(1, Math.ceil(Number(row.lacking) / policy.perSecond)) };
    await this.purge(Number(row.ms));
    return { allowed: true };
  }

  /** Bucket rows kept (tests). */
  async size(): Promise<number> {
    const [row] = await this.sql`SELECT count(*)::int AS n FROM rate_buckets`;
    return row.n;
  }

  private async purge(nowMs: number): Promise<void> {
    if (!this.purges.due(nowMs)) return;
    await this.sql`DELETE FROM rate_buckets WHERE full_at_ms <= ${nowMs}`;
  }
}
