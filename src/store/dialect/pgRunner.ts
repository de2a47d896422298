// Store bodies on PostgreSQL (drizzle bun-sql): each step is awaited; `transaction` runs the body
// in drizzle's transaction, every query of it on the transaction's connection.
import { sql, type SQL } from "drizzle-orm";
import * as tables from "../pg/schema";
import type { PgMetaDb } from "../pg/open";
import { driveAsync } from "./drive";
import { pgFragments } from "./fragments";
import { Statement, type QueryBuilder, type Runner, type Scope, type Step, type Tables } from "./program";

interface PgTransactional {
  transaction<T>(body: (tx: unknown) => Promise<T>): Promise<T>;
}

interface PgExecutes {
  execute(query: SQL): Promise<unknown>;
}

interface PreparedPg {
  execute(params?: Record<string, unknown>): Promise<unknown>;
}

/** What drizzle's bun-sql transaction holds: its session, whose client is the transaction's connection. */
interface PgTransactionHandle {
  session: { client: unknown };
}

/**
 * A statement prepared on the pool, run on a transaction's connection. drizzle's prepared query
 * keeps the statement's text, parameters and row mapping and reads its connection from
 * `this.client`, so a view of it with the transaction's client runs it inside the transaction.
 * Building the statement again through the query builder instead cost about a quarter of a tag
 * PUT's CPU on PostgreSQL (docs/BENCHMARKS.md, "Several nodes").
 */
function preparedOn(prepared: unknown, tx: QueryBuilder): PreparedPg {
  return Object.create(prepared as object, { client: { value: (tx as unknown as PgTransactionHandle).session.client } }) as PreparedPg;
}

/** Each statement's `FOR UPDATE` form, prepared on the pool the first time a body locks with it. */
const lockedVersions = new WeakMap<Statement<any>, unknown>();

function lockedVersion(statement: Statement<any>, root: Scope): unknown {
  let locked = lockedVersions.get(statement);
  if (!locked) {
    locked = (statement.build(root) as unknown as { for(strength: "update"): { prepare(name: string): unknown } }).for("update").prepare("berth_locked");
    lockedVersions.set(statement, locked);
  }
  return locked;
}

async function exec(scope: Scope, root: Scope, step: Step): Promise<unknown> {
  if (step.op === "attempt") {
    // drizzle: a transaction inside a transaction is a SAVEPOINT.
    return (scope.db as unknown as PgTransactional).transaction(async (tx) => {
      const inner: Scope = { ...scope, db: tx as QueryBuilder };
      return driveAsync(step.body(inner), (s) => exec(inner, root, s));
    });
  }
  if (step.op === "lock") {
    await (scope.db as unknown as PgExecutes).execute(sql`SELECT pg_advisory_xact_lock(${step.space}::int, ${step.id}::int)`);
    return undefined;
  }
  let result: any;
  if (step.query instanceof Statement && step.op === "oneLocked") {
    // FOR UPDATE is part of the statement's text: a second statement, prepared on first use.
    const locked = lockedVersion(step.query, root);
    result = await (scope === root ? (locked as PreparedPg) : preparedOn(locked, scope.db)).execute(step.params);
  } else if (step.query instanceof Statement) {
    // A statement prepared on the pool would run outside the transaction: inside one it runs on the transaction's connection.
    const query = scope === root ? (step.query.prepared as PreparedPg) : preparedOn(step.query.prepared, scope.db);
    result = await query.execute(step.params);
  } else if (step.op === "oneLocked") {
    result = await (step.query as { for(strength: "update"): PromiseLike<unknown> }).for("update");
  } else {
    result = await (step.query as PromiseLike<unknown>);
  }
  switch (step.op) {
    case "all":
      return result;
    case "one":
    case "oneLocked":
      return result[0];
    case "changes":
      // Bun.sql's result: rows with the command's row count.
      return result.count as number;
  }
}

export function pgRunner(db: PgMetaDb): Runner {
  const root: Scope = { dialect: "pg", db: db as unknown as QueryBuilder, t: tables as unknown as Tables, sql: pgFragments };
  let statements = 0;
  return {
    dialect: "pg",
    run(body) {
      return driveAsync(body(root), (step) => exec(root, root, step));
    },
    runMaybeSync(body) {
      return this.run(body);
    },
    transaction(body) {
      // `immediate` has no PostgreSQL meaning: a guard-then-write body locks the rows it guards.
      return db.transaction(async (tx) => {
        const scope: Scope = { ...root, db: tx as unknown as QueryBuilder };
        return driveAsync(body(scope), (step) => exec(scope, root, step));
      });
    },
    statement(build) {
      return new Statement(build, (build(root) as unknown as { prepare(name: string): unknown }).prepare(`berth_${++statements}`));
    },
  };
}
