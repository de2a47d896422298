// The tables only a multi-node deployment needs: state that one Berth process keeps in memory
// (docs/ARCHITECTURE.md, "State one process holds") and several nodes must share. PostgreSQL-only
// by design: SQLite means one node, whose memory holds this state. They are the one exception to
// "every PostgreSQL table is generated from its SQLite table"; test/unit/store/pgSchema.test.ts
// names them in its list of PostgreSQL-only tables.
import { bigint, doublePrecision, index, integer, pgSequence, pgTable, text } from "drizzle-orm/pg-core";

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

/**
 * The outbox rows being sent (PgDeliveryClaims): a lease per claimed row, taken over once expired
 * (the node that held it died). No foreign key: a claim outliving its row is purged with the
 * expired ones, and claims stay off the outbox's write path.
 */
export const deliveryClaims = pgTable(
  "delivery_claims",
  {
    deliveryId: bigint("delivery_id", { mode: "number" }).primaryKey(),
    /** The claiming node's instance: only it releases the claim. */
    holder: text("holder").notNull(),
    untilMs: bigint("until_ms", { mode: "number" }).notNull(),
  },
  (t) => [index("delivery_claims_until_ms").on(t.untilMs)],
);

/**
 * The read caches' change counter (PgReadCache): every node's write that clears its cache takes
 * the next value and announces it. A sequence, not a row: no lock, nothing for writes to queue on.
 */
export const readCacheChanges = pgSequence("read_cache_changes");

/** The names of the tables above: PostgreSQL-only, with no SQLite twin. */
export const PG_ONLY_TABLES = ["login_throttle_counters", "rate_buckets", "delivery_claims"] as const;
