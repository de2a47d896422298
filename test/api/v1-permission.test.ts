// API v1 repository permissions (reference quay-api.md §2.8): users, robots and teams, admin only,
// with the effect checked through the permission model (the grantee can then read or write).
import { beforeAll, describe, expect, test } from "bun:test";
import type { Stores } from "../../src/store";
import { expectCsrfError, expectJson, expectProblem, V1Client } from "../support/v1Client";
import { worldForFile } from "../support/world";

const ADMIN_PASSWORD = "admin-Secret-1";
const world = worldForFile({
  server: { adminPassword: ADMIN_PASSWORD },
  users: { alice: "alice-Secret-1", bob: "bob-Secret-1" },
  orgs: { acme: { owner: "alice", teams: { devs: { role: "member" } } } },
  robots: ["acme+ci", "bob+mine"],
  sessions: ["alice", "bob"],
});
let stores: Stores;
let alice: V1Client;
let bob: V1Client;
let anon: V1Client;
beforeAll(async () => {
  ({ stores, anon } = world);
  [alice, bob] = [world.session("alice"), world.session("bob")];
  expect((await alice.post("/api/v1/repository", { repository: "app", namespace: "acme", visibility: "private", description: "" })).status).toBe(201);
});

const base = "/api/v1/repository/acme/app/permissions";

describe("repository permissions", () => {
  test("an admin grants a user, reads it back, and the user can then read the repository", async () => {
    expect((await bob.get("/api/v1/repository/acme/app")).status).toBe(403);
    const put = await expectJson(await alice.put(`${base}/user/bob`, { role: "read" }), 200);
    expect(put).toMatchObject({ role: "read", name: "bob", is_robot: false, is_org_member: false });
    expect(put.avatar.kind).toBe("user");
    const list = await expectJson(await alice.get(`${base}/user/`), 200);
    expect(list.permissions.bob.role).toBe("read");
    expect(list.permissions.alice.role).toBe("admin"); // the creator's grant
    expect((await expectJson(await alice.get(`${base}/user/bob`), 200)).role).toBe("read");
    expect((await bob.get("/api/v1/repository/acme/app")).status).toBe(200);
    // read is not write
    expect((await bob.put("/api/v1/repository/acme/app", { description: "x" })).status).toBe(403);
    await expectJson(await alice.put(`${base}/user/bob`, { role: "write" }), 200);
    expect((await bob.put("/api/v1/repository/acme/app", { description: "x" })).status).toBe(200);
  });

  test("revoking removes access; revoking twice is a 400", async () => {
    await alice.put(`${base}/user/bob`, { role: "read" });
    const del = await alice.delete(`${base}/user/bob`);
    expect(del.status).toBe(204);
    expect((await bob.get("/api/v1/repository/acme/app")).status).toBe(403);
    await expectProblem(await alice.delete(`${base}/user/bob`), 400, "invalid_request", "User does not have permission for repo.");
    await expectProblem(await alice.get(`${base}/user/bob`), 400, "invalid_request");
  });

  test("robots only in their owner's namespace; unknown users refused", async () => {
    const ok = await expectJson(await alice.put(`${base}/user/acme+ci`, { role: "write" }), 200);
    expect(ok).toMatchObject({ name: "acme+ci", is_robot: true, is_org_member: true });
    await expectProblem(await alice.put(`${base}/user/bob+mine`, { role: "read" }), 400, "invalid_request", "Cannot add robot bob+mine under namespace acme");
    await expectProblem(await alice.put(`${base}/user/nobody`, { role: "read" }), 400, "invalid_request", "Invalid username: nobody");
  });

  test("teams: grant, list, read, revoke; unknown team refused", async () => {
    const put = await expectJson(await alice.put(`${base}/team/devs`, { role: "write" }), 200);
    expect(put).toEqual({ role: "write" });
    const list = await expectJson(await alice.get(`${base}/team/`), 200);
    expect(list.permissions.devs).toMatchObject({ role: "write", name: "devs" });
    expect((await stores.permissions.grantsOfRepo((await stores.repositories.find("acme/app"))!.id)).some((g) => g.kind === "team")).toBe(true);
    expect((await alice.delete(`${base}/team/devs`)).status).toBe(204);
    await expectProblem(await alice.put(`${base}/team/ghosts`, { role: "read" }), 400, "invalid_request", "No team ghosts in organization acme");
  });

  test("only repository admins; bad roles name the field; CSRF on writes", async () => {
    await expectProblem(await anon.get(`${base}/user/`), 401, "invalid_token");
    await expectProblem(await bob.get(`${base}/user/`), 403, "insufficient_scope");
    await expectProblem(await bob.put(`${base}/user/bob`, { role: "admin" }), 403, "insufficient_scope");
    const bad = await expectProblem(await alice.put(`${base}/user/bob`, { role: "owner" }), 400, "invalid_request");
    expect(bad.field).toBe("role");
    await expectCsrfError(await alice.put(`${base}/user/bob`, { role: "read" }, { csrf: false }));
  });

  test("transitive: the direct grant and the grants through teams; 404 without any; admins only", async () => {
    const acme = (await stores.orgs.namespace("acme"))!;
    const team = await stores.teams.setTeam(acme.id, "readers", "member");
    await stores.teams.addMember(team, { userId: (await stores.users.byName("bob"))!.id });
    await expectProblem(await alice.get(`${base}/user/bob/transitive`), 404, "not_found");
    await expectJson(await alice.put(`${base}/team/readers`, { role: "read" }), 200);
    expect(await expectJson(await alice.get(`${base}/user/bob/transitive`), 200)).toEqual({ permissions: [{ role: "read" }] });
    await expectJson(await alice.put(`${base}/user/bob`, { role: "write" }), 200);
    expect(await expectJson(await alice.get(`${base}/user/bob/transitive`), 200)).toEqual({ permissions: [{ role: "write" }, { role: "read" }] });
    await expectProblem(await anon.get(`${base}/user/bob/transitive`), 401, "invalid_token");
    await expectProblem(await bob.get(`${base}/user/bob/transitive`), 403, "insufficient_scope");
    await alice.delete(`${base}/user/bob`);
    await alice.delete(`${base}/team/readers`);
  });

  test("a team's and a robot's permission lists (org admins only)", async () => {
    await expectJson(await alice.put(`${base}/team/devs`, { role: "admin" }), 200);
    await expectJson(await alice.put(`${base}/user/acme+ci`, { role: "write" }), 200);
    expect(await expectJson(await alice.get("/api/v1/organization/acme/team/devs/permissions"), 200)).toEqual({
      permissions: [{ repository: { name: "app", is_public: false }, role: "admin" }],
    });
    expect(await expectJson(await alice.get("/api/v1/organization/acme/robots/ci/permissions"), 200)).toEqual({
      permissions: [{ repository: { name: "app", is_public: false }, role: "write" }],
    });
    await expectProblem(await bob.get("/api/v1/organization/acme/team/devs/permissions"), 403, "insufficient_scope");
    await expectProblem(await anon.get("/api/v1/organization/acme/robots/ci/permissions"), 401, "invalid_token");
    await expectProblem(await alice.get("/api/v1/organization/acme/team/ghosts/permissions"), 404, "not_found");
    // A user's own robot: its grants in the user's namespace.
    expect((await bob.post("/api/v1/repository", { repository: "own", visibility: "private", description: "" })).status).toBe(201);
    await expectJson(await bob.put("/api/v1/repository/bob/own/permissions/user/bob+mine", { role: "read" }), 200);
    expect(await expectJson(await bob.get("/api/v1/user/robots/mine/permissions"), 200)).toEqual({
      permissions: [{ repository: { name: "own", is_public: false }, role: "read" }],
    });
    await expectProblem(await anon.get("/api/v1/user/robots/mine/permissions"), 401, "invalid_token");
  });
});
