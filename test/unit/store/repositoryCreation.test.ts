// The registry's repository creation with default permissions (prototypes): the creator's admin
// grant and the prototypes that apply, in the registry's transaction (SQLite until it runs bodies).
import { describe, expect, test } from "bun:test";
import type { SqliteStores as Stores } from "../../../src/store";
import { SYSTEM_ACTOR } from "../../../src/events/registryEvents";
import type { CreateRepositoryInput } from "../../../src/registry/registry";
import { registryFor } from "../../support/registryFixture";
import { sqliteRunner } from "../../../src/store/dialect/sqliteRunner";
import { acmeWorld, addUserNamespace, carlsPrototypes } from "./orgFixtures";
import { storesPerTest } from "./storeFixtures";

const s = storesPerTest("berth-repo-create-");

/** acmeWorld (./orgFixtures.ts) in these stores; uma has her own namespace. */
async function world(stores: Stores) {
  const runner = sqliteRunner(stores.db);
  const w = await acmeWorld(runner);
  await addUserNamespace(runner, "uma");
  return w;
}

describe("the registry's createRepository", () => {
  const create = (stores: Stores, input: Omit<CreateRepositoryInput, "actor">) => registryFor(stores).registry.createRepository({ ...input, actor: SYSTEM_ACTOR });
  const grants = async (stores: Stores, repoId: number) =>
    (await stores.permissions.grantsOfRepo(repoId)).map((g) => `${g.kind}:${g.name}:${g.role}`).sort();

  test("in an org: the creator gets admin and the prototypes for it or anybody apply", async () => {
    const stores = s.get();
    const w = await world(stores);
    await carlsPrototypes(w);

    const out = await create(stores, { fullName: "acme/app", visibility: "private", description: "d", creator: { userId: w.carl } });
    if (out.kind !== "ok") throw new Error(out.kind);
    expect(out.defaultGrants).toBe(2);
    expect(await grants(stores, out.repo.id)).toEqual(["robot:acme+ci:write", "team:devs:write", "user:carl:admin"]);
    expect((await stores.repositories.details(["acme/app"]))[0]).toMatchObject({ description: "d", visibility: "private" });
  });

  test("a robot creator activates prototypes naming it", async () => {
    const stores = s.get();
    const w = await world(stores);
    await stores.prototypes.create({ namespaceId: w.ns, activating: { robotId: w.ci }, delegate: { userId: w.uma }, role: "read" });
    await stores.prototypes.create({ namespaceId: w.ns, activating: { userId: w.carl }, delegate: { userId: w.dana }, role: "read" });
    const out = await create(stores, { fullName: "acme/bot", visibility: "public", creator: { robotId: w.ci } });
    if (out.kind !== "ok") throw new Error(out.kind);
    expect(await grants(stores, out.repo.id)).toEqual(["robot:acme+ci:admin", "user:uma:read"]);
  });

  test("in a user's namespace only the creator's admin grant is made", async () => {
    const stores = s.get();
    const w = await world(stores);
    const out = await create(stores, { fullName: "uma/own", visibility: "private", creator: { userId: w.uma } });
    if (out.kind !== "ok") throw new Error(out.kind);
    expect(out.defaultGrants).toBe(0);
    expect(await grants(stores, out.repo.id)).toEqual(["user:uma:admin"]);
  });

  test("without a creator (an anonymous push in open mode) no grant is made", async () => {
    const stores = s.get();
    const w = await world(stores);
    await stores.prototypes.create({ namespaceId: w.ns, delegate: { teamId: w.devs }, role: "read" });
    const out = await create(stores, { fullName: "acme/anon", visibility: "private" });
    if (out.kind !== "ok") throw new Error(out.kind);
    expect(await grants(stores, out.repo.id)).toEqual([]);
  });

  test("an existing repository is left alone", async () => {
    const stores = s.get();
    const w = await world(stores);
    const first = await create(stores, { fullName: "acme/app", visibility: "private", creator: { userId: w.carl } });
    if (first.kind !== "ok") throw new Error(first.kind);
    await stores.prototypes.create({ namespaceId: w.ns, delegate: { teamId: w.devs }, role: "read" });
    const again = await create(stores, { fullName: "acme/app", visibility: "public", creator: { userId: w.uma } });
    expect(again).toEqual({ kind: "exists", repo: expect.objectContaining({ id: first.repo.id, fullName: "acme/app" }) });
    expect(await grants(stores, first.repo.id)).toEqual(["user:carl:admin"]);
  });

  test("all or nothing: a failing grant leaves no repository", async () => {
    const stores = s.get();
    await world(stores);
    await expect(create(stores, { fullName: "acme/broken", visibility: "private", creator: { userId: 999_999 } })).rejects.toThrow();
    expect(await stores.repositories.find("acme/broken")).toBeUndefined();
  });

  // Issue 8 item 10: a repository never creates its namespace.
  test("a missing namespace is not created; the repository is refused", async () => {
    const stores = s.get();
    const w = await world(stores);
    const out = await create(stores, { fullName: "gone/app", visibility: "private", creator: { userId: w.carl } });
    expect(out).toEqual({ kind: "noNamespace", namespace: "gone" });
    expect(await stores.orgs.namespace("gone")).toBeUndefined();
    expect(await stores.repositories.find("gone/app")).toBeUndefined();
  });

  test("open mode may create an ownerless namespace", async () => {
    const stores = s.get();
    const out = await create(stores, { fullName: "laptop/app", visibility: "private", createNamespace: true });
    expect(out.kind).toBe("ok");
    expect((await stores.orgs.namespace("laptop"))?.kind).toBe("user");
  });

  test("the caller's right is asked inside the write, after the namespace is found", async () => {
    const stores = s.get();
    const w = await world(stores);
    const asked: string[] = [];
    const refused = await create(stores, {
      fullName: "acme/nope",
      visibility: "private",
      creator: { userId: w.uma },
      mayCreate: () => (asked.push("acme"), false),
    });
    expect(refused).toEqual({ kind: "refused" });
    expect(asked).toEqual(["acme"]);
    expect(await stores.repositories.find("acme/nope")).toBeUndefined();
    const noNs = await create(stores, { fullName: "gone/x", visibility: "private", mayCreate: () => (asked.push("gone"), true) });
    expect(noNs.kind).toBe("noNamespace");
    expect(asked).toEqual(["acme"]);
  });
});
