// Namespace removal and the per-namespace typeahead, across the stores (SQLite). UserStore's own
// queries are in users.test.ts and robots.test.ts, on both dialects.
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
afterEach(async () => {
  await stores.close();
  rmSync(dir, { recursive: true, force: true });
});

const user = async (name: string) => {
  const out = await stores.users.create(name, `${name}@example.com`, null);
  if (out.kind !== "ok") throw new Error(out.kind);
  return out.user;
};

describe("namespaces", () => {
  test("deleteNamespace removes repositories and robots and the cached repository rows", async () => {
    const owner = await user("olga");
    const out = await stores.orgs.create("corp", owner.id);
    if (out.kind !== "ok") throw new Error(out.kind);
    await stores.repositories.ensure("corp/app");
    await stores.robots.create("corp", "ci", "token");
    expect(await stores.repositories.find("corp/app")).toBeDefined(); // now cached
    expect((await stores.orgs.list()).map((o) => o.name)).toEqual(["corp"]);
    await stores.repositories.deleteNamespace(out.namespaceId);
    expect(await stores.repositories.find("corp/app")).toBeUndefined();
    expect(await stores.robots.byName("corp+ci")).toBeUndefined();
    expect(await stores.orgs.org("corp")).toBeUndefined();
    expect(await stores.orgs.list()).toEqual([]);
    expect(await stores.users.byName("olga")).toBeDefined();
  });

  test("teams and robots by prefix, within one namespace", async () => {
    const owner = await user("pat");
    const out = await stores.orgs.create("acme", owner.id);
    if (out.kind !== "ok") throw new Error(out.kind);
    await stores.teams.setTeam(out.namespaceId, "devs", "member");
    await stores.robots.create("acme", "deployer", "t1");
    await stores.robots.create("pat", "deployer", "t2");
    expect(await stores.teams.matchingTeams(out.namespaceId, "d", 10)).toEqual([{ name: "devs" }]);
    expect(await stores.teams.matchingTeams(out.namespaceId, "o", 10)).toEqual([{ name: "owners" }]);
    expect(await stores.robots.matching(out.namespaceId, "dep", 10)).toEqual([{ fullName: "acme+deployer" }]);
  });
});
