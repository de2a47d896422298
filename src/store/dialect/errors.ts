// Which constraint a failed write broke, in either dialect's words: bun:sqlite throws its own
// error (code SQLITE_CONSTRAINT_*); drizzle's bun-sql wraps Bun.sql's PostgresError (SQLSTATE in
// `errno`) in a DrizzleQueryError (`cause`). Stores test this, never a message's text.
export type Violation = "unique" | "foreignKey";

const SQLITE: Record<string, Violation> = {
  SQLITE_CONSTRAINT_UNIQUE: "unique",
  SQLITE_CONSTRAINT_PRIMARYKEY: "unique",
  SQLITE_CONSTRAINT_FOREIGNKEY: "foreignKey",
};
const POSTGRES: Record<string, Violation> = { "23505": "unique", "23503": "foreignKey" };

export function constraintViolated(e: unknown): Violation | undefined {
  for (let err = e as { code?: unknown; errno?: unknown; cause?: unknown } | undefined, depth = 0; err && depth < 3; err = err.cause as typeof err, depth++) {
    const found = SQLITE[String(err.code)] ?? POSTGRES[String(err.errno)];
    if (found) return found;
  }
  return undefined;
}
