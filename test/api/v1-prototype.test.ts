// API v1 default permissions (Quay's prototypes, reference quay-api.md §2.10): org admins list,
// create, change and delete them; a repository a team member creates afterwards (through a /v2
// push in token mode, or POST /api/v1/repository) carries the delegates' grants.
import { beforeAll, describe, expect, test } from "bun:test";
import { registryToken } from "../support/registryClient";
import type { TestServer } from "../support/server";
import { expectCsrfError, expectJson, expectProblem, signedIn, V1Client } from "../support/v1Client";
import { worldForFile } from "../support/world";

const PASSWORDS = { alice: "alice-Secret-1", bob: "bob-Secret-1", carl: "carl-Secret-1", dana: "dana-Secret-1" } as const;
const base = "/api/v1/organization/acme/prototypes";

const world = worldForFile({
  config: { auth: "token" },
  users: PASSWORDS,
  orgs: {
    acme: { owner: "alice", teams: { builders: { role: "creator", members: ["carl"] }, readers: { role: "member" } } },
    other: { owner: "bob" },
  },
  robots: ["acme+ci", "other+ci"],
  sessions: ["alice", "bob", "carl"],
});
let server: TestServer;
let alice: V1Client;
let bob: V1Client;
let carl: V1Client;
let anon: V1Client;
beforeAll(() => {
  ({ server, anon } = world);
  [alice, bob, carl] = [world.session("alice"), world.session("bob"), world.session("carl")];
});

/** What `docker push` does first: a push token, which creates the repository (and applies prototypes). */
async function pushAs(user: keyof typeof PASSWORDS, repo: string): Promise<void> {
  await registryToken(server.url, [user, PASSWORDS[user]], `repository:${repo}:push,pull`);
}

const userView = (name: string, isRobot: boolean, member: boolean) => ({
  name,
  is_robot: isRobot,
  kind: "user",
  is_org_member: member,
  avatar: expect.objectContaining({ name, kind: isRobot ? "robot" : "user", hash: expect.any(String), color: expect.any(String) }),
});

describe("prototypes", () => {
  test("create for a user, a team and a robot; list them in Quay's view", async () => {
    const forCarl = await expectJson(
      await alice.post(base, { role: "write", delegate: { name: "dana", kind: "user" }, activating_user: { name: "carl" } }),
      200,
    );
    expect(forCarl).toEqual({ activating_user: userView("carl", false, true), delegate: userView("dana", false, false), role: "write", id: expect.any(String) });
    const team = await expectJson(await alice.post(base, { role: "read", delegate: { name: "readers", kind: "team" } }), 200);
    expect(team).toEqual({
      activating_user: null,
      delegate: { name: "readers", kind: "team", avatar: expect.objectContaining({ name: "readers", kind: "team" }) },
      role: "read",
      id: expect.any(String),
    });
    const robot = await expectJson(await alice.post(base, { role: "admin", delegate: { name: "acme+ci", kind: "user" }, activating_user: null }), 200);
    expect(robot.delegate).toEqual(userView("acme+ci", true, true));

    const list = await expectJson(await alice.get(base), 200);
    expect(list.prototypes).toEqual([forCarl, team, robot]);
  });

  test("a repository a team member creates afterwards gets the delegates' grants", async () => {
    await pushAs("carl", "acme/by-carl");
    const users = await expectJson(await alice.get("/api/v1/repository/acme/by-carl/permissions/user/"), 200);
    expect(Object.fromEntries(Object.entries<any>(users.permissions).map(([n, p]) => [n, p.role]))).toEqual({
      carl: "admin",
      dana: "write",
      "acme+ci": "admin",
    });
    const teams = await expectJson(await alice.get("/api/v1/repository/acme/by-carl/permissions/team/"), 200);
    expect(teams.permissions.readers.role).toBe("read");
    // The grant works: dana, outside the org, can now read the repository.
    const dana = await signedIn(server.url, "dana", PASSWORDS.dana);
    expect((await dana.get("/api/v1/repository/acme/by-carl")).status).toBe(200);
  });

  test("POST /api/v1/repository applies them the same way", async () => {
    const made = await expectJson(await carl.post("/api/v1/repository", { repository: "by-api", namespace: "acme", visibility: "private", description: "" }), 201);
    expect(made).toEqual({ namespace: "acme", name: "by-api", kind: "image" });
    const users = await expectJson(await alice.get("/api/v1/repository/acme/by-api/permissions/user/"), 200);
    expect(Object.fromEntries(Object.entries<any>(users.permissions).map(([n, p]) => [n, p.role]))).toEqual({
      carl: "admin",
      dana: "write",
      "acme+ci": "admin",
    });
    expect((await expectJson(await alice.get("/api/v1/repository/acme/by-api/permissions/team/"), 200)).permissions.readers.role).toBe("read");
  });

  test("change a role, delete; unknown ids are 404", async () => {
    const created = await expectJson(await alice.post(base, { role: "read", delegate: { name: "dana", kind: "user" } }), 200);
    const path = `${base}/${created.id}`;
    const updated = await expectJson(await alice.put(path, { role: "admin" }), 200);
    expect(updated).toEqual({ ...created, role: "admin" });
    expect((await alice.delete(path)).status).toBe(204);
    expect((await expectJson(await alice.get(base), 200)).prototypes.some((p: any) => p.id === created.id)).toBe(false);
    await expectProblem(await alice.delete(path), 404, "not_found");
    await expectProblem(await alice.put(path, { role: "read" }), 404, "not_found");
  });

  test("unknown people and teams are 400s with Quay's messages", async () => {
    const post = (json: unknown) => alice.post(base, json);
    await expectProblem(await post({ role: "read", delegate: { name: "dana", kind: "user" }, activating_user: { name: "nobody" } }), 400, "invalid_request", "Unknown activating user");
    await expectProblem(await post({ role: "read", delegate: { name: "nobody", kind: "user" } }), 400, "invalid_request", "Missing delegate user or team");
    await expectProblem(await post({ role: "read", delegate: { name: "ghosts", kind: "team" } }), 400, "invalid_request", "Missing delegate user or team");
    await expectProblem(await post({ role: "read", delegate: { name: "other+ci", kind: "user" } }), 400, "invalid_request", "Cannot add robot other+ci under namespace acme");
  });

  test("a bad body is a 400 naming the field", async () => {
    expect((await expectProblem(await alice.post(base, { role: "owner", delegate: { name: "dana", kind: "user" } }), 400, "invalid_request")).field).toBe("role");
    expect((await expectProblem(await alice.post(base, { role: "read" }), 400, "invalid_request")).field).toBe("delegate");
    expect((await expectProblem(await alice.post(base, { role: "read", delegate: { name: "x", kind: "org" } }), 400, "invalid_request")).field).toBe("delegate.kind");
    expect((await expectProblem(await alice.put(`${base}/whatever`, {}), 400, "invalid_request")).field).toBe("role");
  });

  test("org admins only: 401 anonymous, 403 for members and outsiders, unknown orgs alike", async () => {
    await expectProblem(await anon.get(base), 401, "invalid_token");
    await expectProblem(await anon.post(base, { role: "read", delegate: { name: "dana", kind: "user" } }), 401, "invalid_token");
    await expectProblem(await bob.get(base), 403, "insufficient_scope");
    await expectProblem(await carl.get(base), 403, "insufficient_scope");
    await expectProblem(await carl.post(base, { role: "read", delegate: { name: "dana", kind: "user" } }), 403, "insufficient_scope");
    await expectProblem(await bob.delete(`${base}/whatever`), 403, "insufficient_scope");
    await expectProblem(await bob.get("/api/v1/organization/no-such-org/prototypes"), 403, "insufficient_scope");
    // …while bob administers his own org.
    expect(await expectJson(await bob.get("/api/v1/organization/other/prototypes"), 200)).toEqual({ prototypes: [] });
  });

  test("CSRF: a cookie write without the token is refused", async () => {
    await expectCsrfError(await alice.post(base, { role: "read", delegate: { name: "dana", kind: "user" } }, { csrf: false }));
  });
});
