// AppTokenStore, the same assertions on SQLite and on PostgreSQL (./eachDialect.ts).
import { expect, test } from "bun:test";
import { AppTokenStore } from "../../../src/store/meta/appTokens";
import { UserStore } from "../../../src/store/meta/users";
import { addUser, describeEachDialect } from "./eachDialect";

describeEachDialect("appTokens.test.ts", "AppTokenStore", (backend) => {
  async function twoUsers() {
    const { runner } = backend();
    return { tokens: new AppTokenStore(runner), amy: await addUser(runner, "amy"), bob: await addUser(runner, "bob") };
  }

  test("create answers the row; byUuid and byLookup find it", async () => {
    const { tokens, amy } = await twoUsers();
    const row = await tokens.create(amy, "laptop", "abcd", "hash-1", 1_900_000_000_000);
    expect(row).toEqual({
      id: row.id,
      uuid: row.uuid,
      userId: amy,
      title: "laptop",
      secretHash: "hash-1",
      expiresMs: 1_900_000_000_000,
      createdMs: row.createdMs,
      lastAccessedMs: null,
    });
    expect(row.uuid).toMatch(/^[0-9a-f-]{36}$/);
    expect(typeof row.createdMs).toBe("number");
    expect(await tokens.byUuid(row.uuid)).toEqual(row);
    expect(await tokens.byLookup("abcd")).toEqual([row]);
    expect(await tokens.byLookup("zzzz")).toEqual([]);
    expect(await tokens.byUuid(crypto.randomUUID())).toBeUndefined();
  });

  test("byLookup answers every token sharing the lookup, oldest first", async () => {
    const { tokens, amy, bob } = await twoUsers();
    const a = await tokens.create(amy, "one", "same", "h1", null);
    const b = await tokens.create(bob, "two", "same", "h2", null);
    await tokens.create(amy, "three", "other", "h3", null);
    expect((await tokens.byLookup("same")).map((t) => t.id)).toEqual([a.id, b.id]);
  });

  test("touch records the access time", async () => {
    const { tokens, amy } = await twoUsers();
    const row = await tokens.create(amy, "laptop", "abcd", "h", null);
    const before = Date.now();
    await tokens.touch(row.id);
    const touched = (await tokens.byUuid(row.uuid))!.lastAccessedMs!;
    expect(touched).toBeGreaterThanOrEqual(before);
    expect(touched).toBeLessThanOrEqual(Date.now());
  });

  test("revoke removes only the owner's token; listFor lists a user's in creation order", async () => {
    const { tokens, amy, bob } = await twoUsers();
    const a1 = await tokens.create(amy, "a1", "l1", "h", null);
    const a2 = await tokens.create(amy, "a2", "l2", "h", null);
    const b1 = await tokens.create(bob, "b1", "l3", "h", null);
    expect((await tokens.listFor(amy)).map((t) => t.title)).toEqual(["a1", "a2"]);
    expect(await tokens.revoke(bob, a1.uuid)).toBe(false);
    expect(await tokens.revoke(amy, a1.uuid)).toBe(true);
    expect(await tokens.revoke(amy, a1.uuid)).toBe(false);
    expect((await tokens.listFor(amy)).map((t) => t.uuid)).toEqual([a2.uuid]);
    expect((await tokens.listFor(bob)).map((t) => t.uuid)).toEqual([b1.uuid]);
  });

  test("a user's tokens go with the user", async () => {
    const { runner } = backend();
    const { tokens, amy, bob } = await twoUsers();
    const kept = await tokens.create(bob, "b", "l2", "h", null);
    const gone = await tokens.create(amy, "a", "l1", "h", null);
    await new UserStore(runner).delete(amy);
    expect(await tokens.byUuid(gone.uuid)).toBeUndefined();
    expect(await tokens.listFor(amy)).toEqual([]);
    expect(await tokens.byUuid(kept.uuid)).toEqual(kept);
  });
});
