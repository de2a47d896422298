// One body of store code for both dialects: a store method is a generator ("program") that
// yields the queries it wants run and gets their results back; a runner per dialect drives it
// (sqliteRunner: synchronously, so a SQLite transaction commits only when the body has finished;
// pgRunner: with await, inside PostgreSQL's transaction). docs/POSTGRES.md, "One store, two
// dialects", says why and how to convert a store.
//
// Queries are built with drizzle's SQLite builder types over the scope's tables. For PostgreSQL
// the scope carries pg-core builders and tables with the same JS keys and column types
// (src/store/pg/fromSqlite.ts), so the types describe both; a body must never execute a query
// itself (`.all()`, `.get()`, `.run()`, `await`): it yields `all`, `one` or `changes` instead
// (test/unit/architecture/dialectStores.test.ts checks the converted stores).
import type { MetaDb } from "../db";
import type * as sqliteTables from "../schema";
import type * as pgTables from "../pg/schema";
import type { Fragments } from "./fragments";

/**
 * The tables both dialects have (every SQLite table), typed as SQLite's. PostgreSQL's own tables
 * (the state several nodes share, `pg/nodeState`) are not a store body's.
 */
export type Tables = Pick<typeof sqliteTables, keyof typeof sqliteTables & keyof typeof pgTables>;

/** What a body builds queries with: the database, or the transaction it runs in. */
export type QueryBuilder = Pick<MetaDb, "select" | "selectDistinct" | "insert" | "update" | "delete">;

/** What a store body is given: the builder, the dialect's tables and its SQL fragments. */
export interface Scope {
  readonly dialect: "sqlite" | "pg";
  readonly db: QueryBuilder;
  readonly t: Tables;
  readonly sql: Fragments;
}

/** A query handed to the runner, and how its result is wanted. */
export type Step =
  | { op: "all" | "one" | "changes" | "oneLocked"; query: object; params?: undefined }
  | { op: "all" | "one" | "changes" | "oneLocked"; query: Statement<Query>; params: Record<string, unknown> }
  | { op: "attempt"; body: Body<unknown> }
  | { op: "lock"; space: number; id: number };

/** A store body: yields steps, gets their results, returns the method's answer. */
export type Program<T> = Generator<Step, T, unknown>;

/** A body as stores write it: a generator function of the scope. */
export type Body<T> = (scope: Scope) => Program<T>;

export interface TransactionOptions {
  /** SQLite: BEGIN IMMEDIATE (take the write lock before the first read). PostgreSQL: no change; guards lock their rows. */
  immediate?: boolean;
}

/** Runs store bodies on one dialect. Every store of a dialect shares one runner. */
export interface Runner {
  readonly dialect: "sqlite" | "pg";
  /** Runs the body's queries one after another, each on its own (autocommit). */
  run<T>(body: Body<T>): Promise<T>;
  /**
   * `run`, answering at once where the dialect's queries are synchronous (SQLite), a promise
   * otherwise (PostgreSQL): for hot reads, where a promise and a turn of the microtask queue per
   * call are measurable (the manifest GET path and its read cache, meta/readCache.ts).
   */
  runMaybeSync<T>(body: Body<T>): T | Promise<T>;
  /** Runs the body in one transaction: committed when it returns, rolled back when it throws. */
  transaction<T>(body: Body<T>, options?: TransactionOptions): Promise<T>;
  /** A query built once per runner (placeholders for its values) and run by `all`/`one`/`changes` with values. */
  statement<Q extends Query>(build: (scope: Scope) => Q): Statement<Q>;
}

/** A query built once with `sql.placeholder`s; a runner prepares it its own way. */
/** A drizzle query handed to the runner (never awaited by a body: the runner executes it). */
export type Query = { toSQL(): unknown };

export class Statement<Q extends Query> {
  /** Filled by the runner that made it: SQLite's prepared statement, PostgreSQL's named query. */
  constructor(
    readonly build: (scope: Scope) => Q,
    readonly prepared: unknown,
  ) {}
}

type Rows<Q> = Q extends { all(...args: any[]): infer R } ? R : never;
type Row<Q> = Q extends { get(...args: any[]): infer R } ? R : never;

/** Every row the query answers (a `returning` query: the rows it wrote). */
export function* all<Q extends Query>(query: Q | Statement<Q>, params?: Record<string, unknown>): Generator<Step, Rows<Q>, unknown> {
  return (yield step("all", query, params)) as Rows<Q>;
}

/** The first row, or undefined. On PostgreSQL every row is fetched: give a select that may match many a `.limit(1)`. */
export function* one<Q extends Query>(query: Q | Statement<Q>, params?: Record<string, unknown>): Generator<Step, Row<Q>, unknown> {
  return (yield step("one", query, params)) as Row<Q>;
}

/**
 * The first row of a select, locked until the transaction ends: what a guard-then-write body
 * reads before it writes. PostgreSQL: `SELECT … FOR UPDATE` (a concurrent transaction waits, then
 * reads the row as committed). SQLite: a plain read; its bodies never interleave (one connection,
 * run synchronously) and other processes wait for the write lock.
 */
export function* oneLocked<Q extends Query>(query: Q | Statement<Q>, params?: Record<string, unknown>): Generator<Step, Row<Q>, unknown> {
  if (query instanceof Statement) return (yield { op: "oneLocked", query, params: params ?? {} }) as Row<Q>;
  return (yield { op: "oneLocked", query }) as Row<Q>;
}

/**
 * The lock spaces of `lock` (the first key of `pg_advisory_xact_lock(int, int)`), beside the
 * session lock classes of pg/nodeState/advisoryLocks.ts (0x6265_0001, 0x6265_0002).
 */
export const LOCK_SPACE = {
  /** A namespace's quota: what its pushes add is measured and written one push at a time. */
  namespaceQuota: 0x6265_0003,
  /**
   * A blob digest (its first 32 bits: a collision only makes two digests take turns): its row is
   * written, deleted, or its bytes' deletion announced one transaction at a time (blobDigestLock).
   */
  blobDigest: 0x6265_0004,
} as const;

/**
 * Holds the lock named (space, id) until the transaction ends, where no row stands for what a
 * guard protects (a namespace's quota). PostgreSQL: `pg_advisory_xact_lock` (a concurrent
 * transaction waits for the commit, then reads what was committed). SQLite: nothing, no query;
 * its single writer already serialises the bodies.
 */
export function* lock(space: number, id: number): Generator<Step, void, unknown> {
  yield { op: "lock", space, id };
}

/**
 * Runs `body` all or nothing inside the current body (a SAVEPOINT in a transaction, on both
 * dialects): when it throws, its own steps are undone and the error comes out here, and the
 * enclosing transaction may go on. A body that catches a failed query inside a transaction needs
 * this: PostgreSQL refuses every later statement of a transaction after an error, SQLite does not.
 */
export function* attempt<T>(body: Body<T>): Generator<Step, T, unknown> {
  return (yield { op: "attempt", body }) as T;
}

/** Runs an insert, update or delete without `returning`; answers how many rows it changed. */
export function* changes(query: Query | Statement<Query>, params?: Record<string, unknown>): Generator<Step, number, unknown> {
  return (yield step("changes", query, params)) as number;
}

function step(op: "all" | "one" | "changes", query: Query | Statement<Query>, params: Record<string, unknown> | undefined): Step {
  if (query instanceof Statement) return { op, query, params: params ?? {} };
  return { op, query } as Step;
}
