// Account queries behind the superuser panel and the entity typeahead: paging by id, prefix
// search that takes the prefix literally, account changes that end sessions, namespace removal.
import { afterEach, beforeEach, describe, expect, test } from "bun:test";
import { rmSync } from "node:fs";
import { openStores, type Stores } from "../../../src/store";
import { tempDir } from "../../support/server";

let dir: string;
let stores: Stores;

beforeEach(() => {
  dir = tempDir("berth-accounts-");
  stores = openStores({ dataDir: dir, uploadTtlMs: 60_000 });
});
afterEach(() => {
  stores.close();
  rmSync(dir, { recursive: true, force: true });
});

const user = (name: string, email: string | null = `${name}@example.com`) => {
  const out = stores.users.create(name, email, null);
  if (out.kind !== "ok") throw new Error(out.kind);
  return out.user;
};

describe("UserStore", () => {
  test("list pages in id order after a cursor, optionally only enabled accounts", () => {
    const [a, b, c] = [user("a1"), user("b1"), user("c1")];
    stores.users.update(b.id, { enabled: false });
    expect(stores.users.list().map((u) => u.username)).toEqual(["a1", "b1", "c1"]);
    expect(stores.users.list({ enabledOnly: true }).map((u) => u.username)).toEqual(["a1", "c1"]);
    expect(stores.users.list({ afterId: a.id, limit: 1 }).map((u) => u.id)).toEqual([b.id]);
    expect(stores.users.list({ afterId: c.id })).toEqual([]);
  });

  test("matching takes the prefix literally: _ and % are not wildcards", () => {
    user("ab_c");
    user("abxc");
    user("ab%d", null);
    expect(stores.users.matching("ab_", 10).map((u) => u.username)).toEqual(["ab_c"]);
    expect(stores.users.matching("ab%", 10).map((u) => u.username)).toEqual(["ab%d"]);
    expect(stores.users.matching("ab", 2).map((u) => u.username)).toEqual(["ab%d", "ab_c"]);
  });

  test("update: a new password or disabling rotates the uuid; a taken email changes nothing", () => {
    const a = user("amy");
    user("bob");
    expect(stores.users.update(a.id, { email: "bob@example.com", enabled: false })).toEqual({ kind: "emailTaken" });
    expect(stores.users.byId(a.id)).toMatchObject({ email: "amy@example.com", enabled: true, uuid: a.uuid });
    expect(stores.users.update(a.id, { email: "amy@new.example.com", superuser: true })).toEqual({ kind: "ok" });
    expect(stores.users.byId(a.id)).toMatchObject({ email: "amy@new.example.com", superuser: true, uuid: a.uuid });
    stores.users.update(a.id, { passwordHash: "$argon2id$x" });
    const afterPassword = stores.users.byId(a.id)!.uuid;
    expect(afterPassword).not.toBe(a.uuid);
    stores.users.update(a.id, { enabled: false });
    expect(stores.users.byId(a.id)!.uuid).not.toBe(afterPassword);
    expect(stores.users.update(a.id, {})).toEqual({ kind: "ok" });
  });
});

describe("namespaces", () => {
  test("deleteNamespace removes repositories and robots and the cached repository rows", async () => {
    const owner = user("olga");
    const out = stores.orgs.create("corp", owner.id);
    if (out.kind !== "ok") throw new Error(out.kind);
    await stores.repositories.ensure("corp/app");
    await stores.robots.create("corp", "ci", "token");
    expect((await stores.repositories.find("corp/app"))).toBeDefined(); // now cached
    expect(stores.orgs.list().map((o) => o.name)).toEqual(["corp"]);
    await stores.repositories.deleteNamespace(out.namespaceId);
    expect((await stores.repositories.find("corp/app"))).toBeUndefined();
    expect(await stores.robots.byName("corp+ci")).toBeUndefined();
    expect(stores.orgs.org("corp")).toBeUndefined();
    expect(stores.orgs.list()).toEqual([]);
    expect(stores.users.byName("olga")).toBeDefined();
  });

  test("teams and robots by prefix, within one namespace", async () => {
    const owner = user("pat");
    const out = stores.orgs.create("acme", owner.id);
    if (out.kind !== "ok") throw new Error(out.kind);
    stores.orgs.setTeam(out.namespaceId, "devs", "member");
    await stores.robots.create("acme", "deployer", "t1");
    await stores.robots.create("pat", "deployer", "t2");
    expect(stores.orgs.matchingTeams(out.namespaceId, "d", 10)).toEqual([{ name: "devs" }]);
    expect(stores.orgs.matchingTeams(out.namespaceId, "o", 10)).toEqual([{ name: "owners" }]);
    expect(await stores.robots.matching(out.namespaceId, "dep", 10)).toEqual([{ fullName: "acme+deployer" }]);
  });
});
