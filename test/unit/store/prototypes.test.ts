// Default permissions (prototypes), repository creation with them, and transitive grants.
import { describe, expect, test } from "bun:test";
import type { Stores } from "../../../src/store";
import { SYSTEM_ACTOR } from "../../../src/events/registryEvents";
import type { CreateRepositoryInput } from "../../../src/registry/registry";
import { registryFor } from "../../support/registryFixture";
import { storesPerTest } from "./storeFixtures";

const s = storesPerTest("berth-prototypes-");

/** Org "acme" (owner: owen) with team "devs" (dana), team "ops"; users carl, uma; robot acme+ci. */
async function world(stores: Stores) {
  const user = (name: string) => {
    const out = stores.users.create(name, `${name}@example.com`, null);
    if (out.kind !== "ok") throw new Error(name);
    return out.user.id;
  };
  const owen = user("owen");
  const dana = user("dana");
  const carl = user("carl");
  const uma = user("uma");
  const org = stores.orgs.create("acme", owen);
  if (org.kind !== "ok") throw new Error("org");
  const devs = stores.orgs.setTeam(org.namespaceId, "devs", "member");
  const ops = stores.orgs.setTeam(org.namespaceId, "ops", "creator");
  stores.orgs.addMember(devs, { userId: dana });
  stores.orgs.addMember(ops, { userId: carl });
  const ci = (await stores.robots.create("acme", "ci", "token"))!.id;
  stores.orgs.addMember(devs, { robotId: ci });
  return { ns: org.namespaceId, owen, dana, carl, uma, devs, ops, ci };
}

describe("PrototypeStore", () => {
  test("create, list with names, get, updateRole, delete", async () => {
    const stores = s.get();
    const w = await world(stores);
    const p1 = await stores.prototypes.create({ namespaceId: w.ns, delegate: { teamId: w.devs }, role: "read" });
    const p2 = await stores.prototypes.create({ namespaceId: w.ns, activating: { userId: w.carl }, delegate: { userId: w.uma }, role: "write" });
    const p3 = await stores.prototypes.create({ namespaceId: w.ns, activating: { robotId: w.ci }, delegate: { robotId: w.ci }, role: "admin" });
    expect(p1).toEqual({ uuid: p1.uuid, role: "read", activating: null, delegate: { kind: "team", id: w.devs, name: "devs" } });
    expect(p2).toMatchObject({ activating: { kind: "user", id: w.carl, name: "carl" }, delegate: { kind: "user", id: w.uma, name: "uma" } });
    expect(p3).toMatchObject({ activating: { kind: "robot", id: w.ci, name: "acme+ci" }, delegate: { kind: "robot", name: "acme+ci" } });
    expect((await stores.prototypes.list(w.ns)).map((p) => p.uuid)).toEqual([p1.uuid, p2.uuid, p3.uuid]);
    expect(await stores.prototypes.get(w.ns, p2.uuid)).toEqual(p2);

    expect((await stores.prototypes.updateRole(w.ns, p1.uuid, "admin"))?.role).toBe("admin");
    expect(await stores.prototypes.updateRole(w.ns, crypto.randomUUID(), "admin")).toBeUndefined();
    expect(await stores.prototypes.delete(w.ns, p2.uuid)).toBe(true);
    expect(await stores.prototypes.delete(w.ns, p2.uuid)).toBe(false);
    expect((await stores.prototypes.list(w.ns)).map((p) => p.uuid)).toEqual([p1.uuid, p3.uuid]);
  });

  test("prototypes belong to their organization", async () => {
    const stores = s.get();
    const w = await world(stores);
    const other = stores.orgs.create("other", w.owen);
    if (other.kind !== "ok") throw new Error("org");
    const p = await stores.prototypes.create({ namespaceId: w.ns, delegate: { teamId: w.devs }, role: "read" });
    expect(await stores.prototypes.list(other.namespaceId)).toEqual([]);
    expect(await stores.prototypes.get(other.namespaceId, p.uuid)).toBeUndefined();
    expect(await stores.prototypes.updateRole(other.namespaceId, p.uuid, "admin")).toBeUndefined();
    expect(await stores.prototypes.delete(other.namespaceId, p.uuid)).toBe(false);
  });

  test("a prototype goes with its delegate team", async () => {
    const stores = s.get();
    const w = await world(stores);
    await stores.prototypes.create({ namespaceId: w.ns, delegate: { teamId: w.ops }, role: "read" });
    stores.orgs.deleteTeam(w.ops);
    expect(await stores.prototypes.list(w.ns)).toEqual([]);
  });
});

describe("the registry's createRepository", () => {
  const create = (stores: Stores, input: Omit<CreateRepositoryInput, "actor">) => registryFor(stores).registry.createRepository({ ...input, actor: SYSTEM_ACTOR });
  const grants = (stores: Stores, repoId: number) =>
    stores.permissions
      .grantsOfRepo(repoId)
      .map((g) => `${g.kind}:${g.name}:${g.role}`)
      .sort();

  test("in an org: the creator gets admin and the prototypes for it or anybody apply", async () => {
    const stores = s.get();
    const w = await world(stores);
    await stores.prototypes.create({ namespaceId: w.ns, delegate: { teamId: w.devs }, role: "read" });
    await stores.prototypes.create({ namespaceId: w.ns, activating: { userId: w.carl }, delegate: { teamId: w.devs }, role: "write" });
    await stores.prototypes.create({ namespaceId: w.ns, activating: { userId: w.uma }, delegate: { userId: w.dana }, role: "admin" });
    await stores.prototypes.create({ namespaceId: w.ns, delegate: { userId: w.carl }, role: "read" }); // the creator: skipped
    await stores.prototypes.create({ namespaceId: w.ns, delegate: { robotId: w.ci }, role: "write" });

    const out = await create(stores, { fullName: "acme/app", visibility: "private", description: "d", creator: { userId: w.carl } });
    if (out.kind !== "ok") throw new Error(out.kind);
    expect(out.defaultGrants).toBe(2);
    expect(grants(stores, out.repo.id)).toEqual(["robot:acme+ci:write", "team:devs:write", "user:carl:admin"]);
    expect((await stores.repositories.details(["acme/app"]))[0]).toMatchObject({ description: "d", visibility: "private" });
  });

  test("a robot creator activates prototypes naming it", async () => {
    const stores = s.get();
    const w = await world(stores);
    await stores.prototypes.create({ namespaceId: w.ns, activating: { robotId: w.ci }, delegate: { userId: w.uma }, role: "read" });
    await stores.prototypes.create({ namespaceId: w.ns, activating: { userId: w.carl }, delegate: { userId: w.dana }, role: "read" });
    const out = await create(stores, { fullName: "acme/bot", visibility: "public", creator: { robotId: w.ci } });
    if (out.kind !== "ok") throw new Error(out.kind);
    expect(grants(stores, out.repo.id)).toEqual(["robot:acme+ci:admin", "user:uma:read"]);
  });

  test("in a user's namespace only the creator's admin grant is made", async () => {
    const stores = s.get();
    const w = await world(stores);
    const out = await create(stores, { fullName: "uma/own", visibility: "private", creator: { userId: w.uma } });
    if (out.kind !== "ok") throw new Error(out.kind);
    expect(out.defaultGrants).toBe(0);
    expect(grants(stores, out.repo.id)).toEqual(["user:uma:admin"]);
  });

  test("without a creator (an anonymous push in open mode) no grant is made", async () => {
    const stores = s.get();
    const w = await world(stores);
    await stores.prototypes.create({ namespaceId: w.ns, delegate: { teamId: w.devs }, role: "read" });
    const out = await create(stores, { fullName: "acme/anon", visibility: "private" });
    if (out.kind !== "ok") throw new Error(out.kind);
    expect(grants(stores, out.repo.id)).toEqual([]);
  });

  test("an existing repository is left alone", async () => {
    const stores = s.get();
    const w = await world(stores);
    const first = await create(stores, { fullName: "acme/app", visibility: "private", creator: { userId: w.carl } });
    if (first.kind !== "ok") throw new Error(first.kind);
    await stores.prototypes.create({ namespaceId: w.ns, delegate: { teamId: w.devs }, role: "read" });
    const again = await create(stores, { fullName: "acme/app", visibility: "public", creator: { userId: w.uma } });
    expect(again).toEqual({ kind: "exists", repo: expect.objectContaining({ id: first.repo.id, fullName: "acme/app" }) });
    expect(grants(stores, first.repo.id)).toEqual(["user:carl:admin"]);
  });

  test("all or nothing: a failing grant leaves no repository", async () => {
    const stores = s.get();
    await world(stores);
    await expect(create(stores, { fullName: "acme/broken", visibility: "private", creator: { userId: 999_999 } })).rejects.toThrow();
    expect((await stores.repositories.find("acme/broken"))).toBeUndefined();
  });

  // Issue 8 item 10: a repository never creates its namespace.
  test("a missing namespace is not created; the repository is refused", async () => {
    const stores = s.get();
    const w = await world(stores);
    const out = await create(stores, { fullName: "gone/app", visibility: "private", creator: { userId: w.carl } });
    expect(out).toEqual({ kind: "noNamespace", namespace: "gone" });
    expect(stores.orgs.namespace("gone")).toBeUndefined();
    expect((await stores.repositories.find("gone/app"))).toBeUndefined();
  });

  test("open mode may create an ownerless namespace", async () => {
    const stores = s.get();
    const out = await create(stores, { fullName: "laptop/app", visibility: "private", createNamespace: true });
    expect(out.kind).toBe("ok");
    expect(stores.orgs.namespace("laptop")?.kind).toBe("user");
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
    expect((await stores.repositories.find("acme/nope"))).toBeUndefined();
    const noNs = await create(stores, { fullName: "gone/x", visibility: "private", mayCreate: () => (asked.push("gone"), true) });
    expect(noNs.kind).toBe("noNamespace");
    expect(asked).toEqual(["acme"]);
  });
});

describe("PermissionStore.transitive", () => {
  test.each([
    ["direct only", (st: Stores, w: Awaited<ReturnType<typeof world>>, r: number) => st.permissions.set(r, { userId: w.dana }, "write"), { userId: "dana" }, ["write"]],
    ["via a team only", (st: Stores, w: Awaited<ReturnType<typeof world>>, r: number) => st.permissions.set(r, { teamId: w.devs }, "read"), { userId: "dana" }, ["read"]],
    [
      "direct first, then teams",
      (st: Stores, w: Awaited<ReturnType<typeof world>>, r: number) => {
        st.permissions.set(r, { teamId: w.devs }, "read");
        st.permissions.set(r, { userId: w.dana }, "admin");
      },
      { userId: "dana" },
      ["admin", "read"],
    ],
    ["a team the user is not in", (st: Stores, w: Awaited<ReturnType<typeof world>>, r: number) => st.permissions.set(r, { teamId: w.ops }, "write"), { userId: "dana" }, []],
    ["a robot via its team", (st: Stores, w: Awaited<ReturnType<typeof world>>, r: number) => st.permissions.set(r, { teamId: w.devs }, "write"), { robotId: "ci" }, ["write"]],
    // Org ownership is not a grant on the repository.
    ["an org owner without grants", () => {}, { userId: "owen" }, []],
  ] as const)("%s", async (_name, grant, who, want) => {
    const stores = s.get();
    const w = await world(stores);
    const repo = (await stores.repositories.ensure("acme/app")).id;
    const other = (await stores.repositories.ensure("acme/other")).id;
    stores.permissions.set(other, { teamId: w.devs }, "admin"); // grants elsewhere never count
    grant(stores, w, repo);
    const principal = "userId" in who ? { userId: (w as any)[who.userId] as number } : { robotId: w.ci };
    expect(stores.permissions.transitive(repo, principal)).toEqual([...want]);
  });
});
