// What `berth migrate` accepts before it opens anything: one side a data directory, the other a
// postgres:// URL, and the S3 storage of the PostgreSQL side; a URL's password is never printed.
import { expect, test } from "bun:test";
import { resolve } from "node:path";
import { CliError } from "../../../src/cli/accounts";
import { planMigration } from "../../../src/cli/migrate/endpoints";

const PG = "postgres://berth:s3cret@db.example:5432/berth";

test("a data directory to PostgreSQL, and back", () => {
  expect(planMigration({ from: "./data", to: PG, storage: "s3://bucket/berth/" })).toEqual({
    direction: "to postgres",
    fromName: resolve("./data"),
    toName: "postgres://berth:***@db.example:5432/berth",
    storage: "s3://bucket/berth",
    sqliteDir: resolve("./data"),
    pgUrl: PG,
  });
  const back = planMigration({ from: "postgresql://db/berth", to: "./new", storage: "s3://bucket/berth" });
  expect(back).toMatchObject({ direction: "from postgres", fromName: "postgresql://db/berth", toName: resolve("./new"), sqliteDir: resolve("./new") });
});

test.each([
  [{ to: PG, storage: "s3://b/p" }, "needs --from and --to"],
  [{ from: "./a", to: "./b", storage: "s3://b/p" }, "exactly one of --from and --to must be a postgres:// URL"],
  [{ from: PG, to: PG, storage: "s3://b/p" }, "exactly one of --from and --to must be a postgres:// URL"],
  [{ from: "./a", to: PG }, "needs --storage s3://bucket/prefix"],
])("%p is refused: %s", (args, message) => {
  let thrown: unknown;
  try {
    planMigration(args);
  } catch (e) {
    thrown = e;
  }
  expect(thrown).toBeInstanceOf(CliError);
  expect((thrown as CliError).exitCode).toBe(2);
  expect((thrown as CliError).message).toContain(message);
});
