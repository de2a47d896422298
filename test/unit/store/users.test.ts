// UserStore, the same assertions on SQLite and on PostgreSQL (./eachDialect.ts): paging by id,
// prefix search that takes the prefix literally, account changes that end sessions, names and
// addresses that stay unique when two requests race for them.
import { expect, test } from "bun:test";
import { eq } from "drizzle-orm";
import { one } from "../../../src/store/dialect/program";
import { UserStore } from "../../../src/store/meta/users";
import { addRepository, describeEachDialect } from "./eachDialect";

describeEachDialect("users.test.ts", "UserStore", (backend) => {
  const store = () => new UserStore(backend().runner);

  async function user(users: UserStore, name: string, email: string | null = `${name}@example.com`) {
    const out = await users.create(name, email, null);
    if (out.kind !== "ok") throw new Error(out.kind);
    return out.user;
  }

  function namespaceOf(name: string) {
    return backend().runner.run(function* ({ db, t }) {
      return yield* one(db.select({ kind: t.namespaces.kind }).from(t.namespaces).where(eq(t.namespaces.name, name)));
    });
  }

  test("create answers the row and makes the user's namespace; the lookups find it", async () => {
    const users = store();
    const out = await users.create("amy", "amy@example.com", "$argon2id$h", true);
    if (out.kind !== "ok") throw new Error(out.kind);
    expect(out.user).toMatchObject({ username: "amy", email: "amy@example.com", passwordHash: "$argon2id$h", enabled: true, superuser: true });
    expect(out.user.uuid).toMatch(/^[0-9a-f-]{36}$/);
    expect(await namespaceOf("amy")).toEqual({ kind: "user" });
    expect(await users.byName("amy")).toEqual(out.user);
    expect(await users.byEmail("amy@example.com")).toEqual(out.user);
    expect(await users.byUuid(out.user.uuid)).toEqual(out.user);
    expect(await users.byId(out.user.id)).toEqual(out.user);
    expect(await users.byName("nobody")).toBeUndefined();
    expect(await users.byId(out.user.id + 1)).toBeUndefined();
  });

  test("replacePasswordHash writes only over the hash that was checked, and keeps the account's sessions (uuid)", async () => {
    const users = store();
    const out = await users.create("rehashed", null, "$argon2id$old");
    if (out.kind !== "ok") throw new Error(out.kind);
    const id = out.user.id;
    expect(await users.replacePasswordHash(id, "$argon2id$old", "$argon2id$new")).toBe(true);
    expect(await users.byId(id)).toMatchObject({ passwordHash: "$argon2id$new", uuid: out.user.uuid });
    // A password changed since the check is not overwritten with the old one rehashed.
    await users.setPassword(id, "$argon2id$changed");
    expect(await users.replacePasswordHash(id, "$argon2id$new", "$argon2id$stale")).toBe(false);
    expect((await users.byId(id))?.passwordHash).toBe("$argon2id$changed");
  });

  test("create refuses a taken or reserved name and a taken address, and leaves nothing behind", async () => {
    const users = store();
    await user(users, "amy");
    await addRepository(backend().runner, "acme/app");
    expect(await users.create("amy", "other@example.com", null)).toEqual({ kind: "nameTaken" });
    expect(await users.create("acme", null, null)).toEqual({ kind: "nameTaken" }); // a namespace with no user (an organization, an ownerless one)
    expect(await users.create("library", null, null)).toEqual({ kind: "nameTaken" });
    expect(await users.create("amy", "amy@example.com", null)).toEqual({ kind: "nameTaken" }); // the name is answered first
    expect(await users.create("bob", "amy@example.com", null)).toEqual({ kind: "emailTaken" });
    expect(await namespaceOf("bob")).toBeUndefined();
    expect(await namespaceOf("library")).toBeUndefined();
    expect((await users.list()).map((u) => u.username)).toEqual(["amy"]);
    // Users without an address do not collide on it.
    await user(users, "cy", null);
    await user(users, "di", null);
  });

  test("creates at once: one takes the name, one the address; the others are told so", async () => {
    const users = store();
    const sameName = await Promise.all(Array.from({ length: 5 }, (_, i) => users.create("race", `race${i}@example.com`, null)));
    expect(sameName.map((o) => o.kind).sort()).toEqual(["nameTaken", "nameTaken", "nameTaken", "nameTaken", "ok"]);
    const sameEmail = await Promise.all(Array.from({ length: 5 }, (_, i) => users.create(`mail${i}`, "shared@example.com", null)));
    expect(sameEmail.map((o) => o.kind).sort()).toEqual(["emailTaken", "emailTaken", "emailTaken", "emailTaken", "ok"]);
    const winner = sameEmail.find((o) => o.kind === "ok")!;
    if (winner.kind !== "ok") throw new Error("no winner");
    // The losers' namespaces went with their failed inserts.
    for (let i = 0; i < 5; i++) expect((await namespaceOf(`mail${i}`)) !== undefined).toBe(`mail${i}` === winner.user.username);
    expect(await users.list()).toHaveLength(2);
  });

  test("list pages in id order after a cursor, optionally only enabled accounts", async () => {
    const users = store();
    const [a, b, c] = [await user(users, "a1"), await user(users, "b1"), await user(users, "c1")];
    await users.update(b.id, { enabled: false });
    expect((await users.list()).map((u) => u.username)).toEqual(["a1", "b1", "c1"]);
    expect((await users.list({ enabledOnly: true })).map((u) => u.username)).toEqual(["a1", "c1"]);
    expect((await users.list({ afterId: a.id, limit: 1 })).map((u) => u.id)).toEqual([b.id]);
    expect(await users.list({ afterId: c.id })).toEqual([]);
  });

  test("matching takes the prefix literally: _ and % are not wildcards", async () => {
    const users = store();
    await user(users, "ab_c");
    await user(users, "abxc");
    await user(users, "ab%d", null);
    expect((await users.matching("ab_", 10)).map((u) => u.username)).toEqual(["ab_c"]);
    expect((await users.matching("ab%", 10)).map((u) => u.username)).toEqual(["ab%d"]);
    expect((await users.matching("ab", 2)).map((u) => u.username)).toEqual(["ab%d", "ab_c"]);
    // ASCII case-insensitive on both (SQLite's LIKE, PostgreSQL's ILIKE).
    expect((await users.matching("AB_", 10)).map((u) => u.username)).toEqual(["ab_c"]);
    expect(await users.matching("b", 10)).toEqual([]); // a prefix, not a part
  });

  test("update: a new password or disabling rotates the uuid; a taken email changes nothing", async () => {
    const users = store();
    const a = await user(users, "amy");
    await user(users, "bob");
    expect(await users.update(a.id, { email: "bob@example.com", enabled: false })).toEqual({ kind: "emailTaken" });
    expect(await users.byId(a.id)).toMatchObject({ email: "amy@example.com", enabled: true, uuid: a.uuid });
    expect(await users.update(a.id, { email: "amy@new.example.com", superuser: true })).toEqual({ kind: "ok" });
    expect(await users.byId(a.id)).toMatchObject({ email: "amy@new.example.com", superuser: true, uuid: a.uuid });
    await users.update(a.id, { passwordHash: "$argon2id$x" });
    const afterPassword = (await users.byId(a.id))!.uuid;
    expect(afterPassword).not.toBe(a.uuid);
    await users.update(a.id, { enabled: false });
    expect((await users.byId(a.id))!.uuid).not.toBe(afterPassword);
    expect(await users.update(a.id, {})).toEqual({ kind: "ok" });
  });

  test("setEmail: another user's address is refused, one's own or none is fine", async () => {
    const users = store();
    const a = await user(users, "amy");
    await user(users, "bob");
    expect(await users.setEmail(a.id, "bob@example.com")).toBe("emailTaken");
    expect((await users.byId(a.id))!.email).toBe("amy@example.com");
    expect(await users.setEmail(a.id, "amy@example.com")).toBe("ok");
    expect(await users.setEmail(a.id, "amy@new.example.com")).toBe("ok");
    expect(await users.byEmail("amy@new.example.com")).toMatchObject({ id: a.id });
    expect(await users.setEmail(a.id, null)).toBe("ok");
    expect((await users.byId(a.id))!.email).toBeNull();
  });

  test("password, enabled flag, uuid rotation and profile are written one at a time", async () => {
    const users = store();
    const a = await user(users, "amy");
    await users.setPassword(a.id, "$argon2id$new");
    await users.setEnabled(a.id, false);
    expect(await users.byId(a.id)).toMatchObject({ passwordHash: "$argon2id$new", enabled: false, uuid: a.uuid });
    await users.rotateUuid(a.id);
    const rotated = (await users.byId(a.id))!.uuid;
    expect(rotated).not.toBe(a.uuid);
    expect(await users.byUuid(a.uuid)).toBeUndefined();
    expect(await users.profile(a.id)).toEqual({});
    await users.setProfile(a.id, { given_name: "Amy", company: "Acme", invoice_email: true });
    expect(await users.profile(a.id)).toEqual({ given_name: "Amy", company: "Acme", invoice_email: true });
  });

  test("any, superusers by flag, delete", async () => {
    const users = store();
    expect(await users.any()).toBe(false);
    expect(await users.hasSuperuser()).toBe(false);
    const a = await user(users, "amy");
    const root = (await users.create("root", null, null, true)) as { kind: "ok"; user: { id: number } };
    const boss = (await users.create("boss", null, null, true)) as { kind: "ok"; user: { id: number } };
    expect(await users.any()).toBe(true);
    expect(await users.hasSuperuser()).toBe(true);
    expect((await users.flaggedSuperusers()).map((u) => u.username)).toEqual(["root", "boss"]);
    await users.update(root.user.id, { superuser: false });
    expect((await users.flaggedSuperusers()).map((u) => u.id)).toEqual([boss.user.id]);
    await users.delete(a.id);
    expect(await users.byName("amy")).toBeUndefined();
    expect((await users.list()).map((u) => u.username)).toEqual(["root", "boss"]);
  });
});
