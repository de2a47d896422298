// The runners (src/store/dialect) on both dialects: what a store body may rely on. Transactions
// all or nothing (built queries and statements alike), database errors thrown into the body,
// row counts, and the SQL spelled per dialect (fragments) meaning the same on both.
import { expect, test } from "bun:test";
import { count, eq, sql, sum } from "drizzle-orm";
import { all, attempt, changes, lock, one, oneLocked, type Runner } from "../../../src/store/dialect/program";
import { constraintViolated } from "../../../src/store/dialect/errors";
import { asNumber } from "../../../src/store/dialect/fragments";
import { describeEachDialect } from "./eachDialect";

describeEachDialect("dialectRunner.test.ts", "store runner", (backend) => {
  const message = (content: string) => ({ uuid: crypto.randomUUID(), content, mediaType: "text/plain" as const, severity: "info" as const });
  const contents = (runner: Runner) =>
    runner.run(function* ({ db, t }) {
      return (yield* all(db.select({ c: t.globalMessages.content }).from(t.globalMessages).orderBy(t.globalMessages.id))).map((r) => r.c);
    });

  test("a transaction whose body throws leaves nothing, built queries and statements alike", async () => {
    const { runner } = backend();
    const insert = runner.statement(({ db, t }) =>
      db.insert(t.globalMessages).values({ uuid: sql.placeholder("uuid"), content: sql.placeholder("content"), mediaType: "text/plain", severity: "info" }),
    );
    const failing = runner.transaction(function* ({ db, t }) {
      yield* changes(db.insert(t.globalMessages).values(message("built")));
      yield* changes(insert, { uuid: crypto.randomUUID(), content: "prepared" });
      throw new Error("changed my mind");
    });
    await expect(failing).rejects.toThrow("changed my mind");
    expect(await contents(runner)).toEqual([]);
    await runner.transaction(function* () {
      yield* changes(insert, { uuid: crypto.randomUUID(), content: "kept" });
    });
    expect(await contents(runner)).toEqual(["kept"]);
  });

  test("lock and oneLocked (a built statement too): transactions guarding the same thing take turns", async () => {
    const { runner } = backend();
    const guarded = message("guarded");
    await runner.run(function* ({ db, t }) {
      yield* changes(db.insert(t.globalMessages).values(guarded));
    });
    const row = runner.statement(({ db, t }) => db.select({ id: t.globalMessages.id }).from(t.globalMessages).where(eq(t.globalMessages.uuid, sql.placeholder("uuid"))));
    // Each counts the rows, then adds one named by the count: two bodies that read before the
    // other wrote would both add the same name.
    const countThenAdd = (take: "lock" | "row") =>
      runner.transaction(function* ({ db, t }) {
        if (take === "lock") yield* lock(0x7465_7374, 1);
        else expect(yield* oneLocked(row, { uuid: guarded.uuid })).toBeDefined();
        const n = (yield* one(db.select({ n: count() }).from(t.globalMessages)))!.n;
        yield* changes(db.insert(t.globalMessages).values(message(`after ${n}`)));
      });
    await Promise.all([countThenAdd("lock"), countThenAdd("lock"), countThenAdd("lock")]);
    await Promise.all([countThenAdd("row"), countThenAdd("row"), countThenAdd("row")]);
    expect(await contents(runner)).toEqual(["guarded", "after 1", "after 2", "after 3", "after 4", "after 5", "after 6"]);
  });

  test("a failing query is thrown into the body, which may catch it and go on", async () => {
    const { runner } = backend();
    const taken = message("first");
    const outcome = await runner.run(function* ({ db, t }) {
      yield* changes(db.insert(t.globalMessages).values(taken));
      try {
        yield* changes(db.insert(t.globalMessages).values({ ...message("duplicate"), uuid: taken.uuid }));
        return "inserted";
      } catch {
        return "refused";
      }
    });
    expect(outcome).toBe("refused");
    expect(await contents(runner)).toEqual(["first"]);
  });

  test("constraintViolated names the constraint in either dialect's error", async () => {
    const { runner } = backend();
    const taken = message("first");
    const failure = (body: Parameters<Runner["run"]>[0]) => runner.run(body).then(() => undefined, (e: unknown) => e);
    await runner.run(function* ({ db, t }) {
      yield* changes(db.insert(t.globalMessages).values(taken));
    });
    const unique = await failure(function* ({ db, t }) {
      yield* changes(db.insert(t.globalMessages).values({ ...message("again"), uuid: taken.uuid }));
    });
    const foreignKey = await failure(function* ({ db, t }) {
      yield* changes(db.insert(t.stars).values({ userId: 999, repositoryId: 999 }));
    });
    const other = await failure(function* ({ db, t }) {
      yield* all(db.select({ x: sql`no_such_function()` }).from(t.globalMessages));
    });
    expect([constraintViolated(unique), constraintViolated(foreignKey), constraintViolated(other), constraintViolated(undefined)]).toEqual([
      "unique",
      "foreignKey",
      undefined,
      undefined,
    ]);
  });

  test("attempt: a failed part of a transaction is undone alone, and the transaction goes on", async () => {
    const { runner } = backend();
    const taken = message("first");
    const outcome = await runner.transaction(function* ({ db, t }) {
      yield* changes(db.insert(t.globalMessages).values(taken));
      let refused = false;
      try {
        yield* attempt(function* ({ db }) {
          yield* changes(db.insert(t.globalMessages).values(message("inside the attempt")));
          yield* changes(db.insert(t.globalMessages).values({ ...message("duplicate"), uuid: taken.uuid }));
        });
      } catch (e) {
        refused = constraintViolated(e) === "unique";
      }
      // PostgreSQL refuses this statement unless the failure was confined to its savepoint.
      yield* changes(db.insert(t.globalMessages).values(message("after")));
      return refused;
    });
    expect(outcome).toBe(true);
    expect(await contents(runner)).toEqual(["first", "after"]);
  });

  test("changes counts rows; one answers undefined for none; count() and asNumber read numbers", async () => {
    const { runner } = backend();
    const result = await runner.run(function* ({ db, t }) {
      const m = t.globalMessages;
      const inserted = yield* changes(db.insert(m).values([message("a"), message("b"), message("c")]));
      const ignored = yield* changes(db.insert(m).values(message("d")).onConflictDoNothing());
      const updated = yield* changes(db.update(m).set({ severity: "error" }).where(eq(m.content, "b")));
      const none = yield* one(db.select().from(m).where(eq(m.content, "zzz")));
      const counted = yield* one(db.select({ n: count(), raw: asNumber(sql`count(*)`), total: asNumber(sql`sum(${m.id})`) }).from(m));
      const summed = yield* one(db.select({ s: sum(m.id) }).from(m));
      return { inserted, ignored, updated, none, counted, summed };
    });
    expect(result).toEqual({ inserted: 3, ignored: 1, updated: 1, none: undefined, counted: { n: 4, raw: 4, total: 10 }, summed: { s: "10" } });
  });

  test.each([
    [1, 2, 2],
    [5, 2, 5],
    [null, 2, null],
    [3, null, null],
  ])("maxOrNull(%p, %p) is %p, as SQLite's two-argument MAX", async (a, b, want) => {
    const { runner } = backend();
    const got = await runner.run(function* ({ db, t, sql: f }) {
      yield* changes(db.insert(t.healthProbes).values({ id: 1, token: "x", writtenMs: 0 }));
      return yield* one(db.select({ v: f.maxOrNull(sql`CAST(${a} AS BIGINT)`, sql`CAST(${b} AS BIGINT)`) }).from(t.healthProbes));
    });
    expect(got).toEqual({ v: want });
  });

  test("jsonInteger, likeIgnoringCase and isSame select the same rows on both", async () => {
    const { runner } = backend();
    const got = await runner.run(function* ({ db, t, sql: f }) {
      const u = t.users;
      const users = [
        { username: "Alice", email: "a@example.com", profile: '{"count": 3, "x": "y"}' },
        { username: "alicia", email: null, profile: "{}" },
        { username: "a_b", email: null, profile: '{"count": 12}' },
        { username: "bob", email: "b@example.com", profile: null },
      ];
      yield* changes(db.insert(u).values(users.map((x) => ({ ...x, uuid: crypto.randomUUID() }))));
      const names = function* (where: ReturnType<typeof f.isSame>) {
        return (yield* all(db.select({ n: u.username }).from(u).where(where).orderBy(u.id))).map((r) => r.n);
      };
      return {
        counts: yield* all(db.select({ n: u.username, c: f.jsonInteger(u.profile, "count") }).from(u).orderBy(u.id)),
        like: yield* names(f.likeIgnoringCase(u.username, "ALI%")),
        escaped: yield* names(f.likeIgnoringCase(u.username, "a\\_%")),
        noEmail: yield* names(f.isSame(u.email, null)),
        hasEmail: yield* names(f.isSame(u.email, "b@example.com")),
      };
    });
    expect(got).toEqual({
      counts: [
        { n: "Alice", c: 3 },
        { n: "alicia", c: null },
        { n: "a_b", c: 12 },
        { n: "bob", c: null },
      ],
      like: ["Alice", "alicia"],
      escaped: ["a_b"],
      noEmail: ["alicia", "a_b"],
      hasEmail: ["bob"],
    });
  });
});
