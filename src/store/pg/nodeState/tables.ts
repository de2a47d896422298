// The tables only a multi-node deployment needs: state that one Berth process keeps in memory
// (docs/ARCHITECTURE.md, "State one process holds") and several nodes must share. PostgreSQL-only
// by design: SQLite means one node, whose memory holds this state. They are the one exception to
// "every PostgreSQL table is generated from its SQLite table"; test/unit/store/pgSchema.test.ts
// names them in its list of PostgreSQL-only tables.
import { bigint, doublePrecision, index, integer, pgTable, text } from "drizzle-orm/pg-core";

/** The login throttle's counters (PgLoginThrottle): a row per counter key, forgotten once idle. */
export const loginThrottleCounters = pgTable(
  "login_throttle_counters",
  {
    key: text("key").primaryKey(),
    /** Consecutive failures, reserved attempts included; 0 is a placeholder row (no streak). */
    failures: integer("failures").notNull(),
    lastMs: bigint("last_ms", { mode: "number" }).notNull(),
  },
  (t) => [index("login_throttle_counters_last_ms").on(t.lastMs)],
);

/** The rate limits' token buckets (PgRateLimiter): a row per bucket, purged once full again. */
export const rateBuckets = pgTable(
  "rate_buckets",
  {
    key: text("key").primaryKey(),
    tokens: doublePrecision("tokens").notNull(),
    atMs: bigint("at_ms", { mode: "number" }).notNull(),
    /** From then on the bucket is full: the same as no row, so it may be purged. */
    fullAtMs: bigint("full_at_ms", { mode: "number" }).notNull(),
  },
  (t) => [index("rate_buckets_full_at_ms").on(t.fullAtMs)],
);

/** The names of the tables above: PostgreSQL-only, with no SQLite twin. */
export const PG_ONLY_TABLES = ["login_throttle_counters", "rate_buckets"] as const;
