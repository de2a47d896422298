// API v1 organizations, members and teams in process (reference quay-api.md §2.2, §2.3, §3), and
// one story from org creation to a team member creating a repository and an org robot pushing.
import { beforeAll, describe, expect, test } from "bun:test";
import type { Stores } from "../../src/store";
import type { UserRow } from "../../src/store/meta/users";
import { BearerRegistryClient, registryAuth } from "../support/registryClient";
import type { TestServer } from "../support/server";
import { expectCsrfError, expectJson, expectProblem, signedIn, V1Client } from "../support/v1Client";
import { worldForFile } from "../support/world";

const PASSWORDS = { olivia: "olivia-Secret-1", max: "max-Secret-1", nora: "nora-Secret-1" } as const;

const world = worldForFile({ config: { auth: "token" }, users: PASSWORDS });
let server: TestServer;
let stores: Stores;
const users: Record<string, UserRow> = {};
beforeAll(() => {
  ({ server, stores } = world);
  Object.assign(users, world.users);
});

const as = (name: keyof typeof PASSWORDS) => signedIn(server.url, name, PASSWORDS[name]);
const uniq = () => crypto.randomUUID().slice(0, 8);

/** A new org owned by olivia; returns its name and olivia's client. */
async function newOrg(): Promise<{ org: string; owner: V1Client }> {
  const owner = await as("olivia");
  const org = `org-${uniq()}`;
  expect(await expectJson(await owner.post("/api/v1/organization/", { name: org, email: `${org}@example.com` }), 201)).toBe("Created");
  return { org, owner };
}

describe("POST /api/v1/organization/", () => {
  test("creates the org with the creator in the owners team", async () => {
    const { org, owner } = await newOrg();
    const view = await expectJson(await owner.get(`/api/v1/organization/${org}`), 200);
    expect(view).toMatchObject({ name: org, is_admin: true, is_member: true, can_create_repo: true, ordered_teams: ["owners"] });
    expect(view.avatar).toMatchObject({ name: org, kind: "org" });
    expect(view.teams.owners).toMatchObject({ name: "owners", role: "admin", can_view: true, member_count: 1, repo_count: 0, is_synced: false });
    const me = await expectJson(await owner.get("/api/v1/user/"), 200);
    expect(me.organizations.map((o: { name: string }) => o.name)).toContain(org);
  });

  test("400 for a taken or invalid name, naming the field", async () => {
    const { org, owner } = await newOrg();
    const taken = await expectProblem(await owner.post("/api/v1/organization/", { name: org }), 400, "invalid_request");
    expect(taken.detail).toBe("A user or organization with this name already exists");
    await expectProblem(await owner.post("/api/v1/organization/", { name: "max" }), 400, "invalid_request");
    for (const name of ["A", "Bad_Upper", "-lead", "a..b"]) {
      const body = await expectProblem(await owner.post("/api/v1/organization/", { name }), 400, "invalid_request");
      expect(body.field).toBe("name");
    }
    const missing = await expectProblem(await owner.post("/api/v1/organization/", { email: "x@example.com" }), 400, "invalid_request");
    expect(missing.field).toBe("name");
    const email = await expectProblem(await owner.post("/api/v1/organization/", { name: `o-${uniq()}`, email: "nope" }), 400, "invalid_request");
    expect(email.field).toBe("email");
  });

  test("401 anonymous; CSRF refused on a cookie write", async () => {
    const anon = new V1Client(server.url);
    await anon.fetchCsrf();
    await expectProblem(await anon.post("/api/v1/organization/", { name: `o-${uniq()}` }), 401, "invalid_token");
    const c = await as("max");
    await expectCsrfError(await c.post("/api/v1/organization/", { name: `o-${uniq()}` }, { csrf: false }));
    await expectCsrfError(await c.post("/api/v1/organization/", { name: `o-${uniq()}` }, { csrf: "forged" }));
  });
});

describe("GET /api/v1/organization/<org>", () => {
  test("limited view for non-members and anonymous callers; 404 unknown", async () => {
    const { org } = await newOrg();
    const max = await as("max");
    const limited = await expectJson(await max.get(`/api/v1/organization/${org}`), 200);
    expect(limited).toEqual({ name: org, email: "", avatar: expect.objectContaining({ kind: "org" }), is_admin: false, is_member: false });
    const anon = await expectJson(await new V1Client(server.url).get(`/api/v1/organization/${org}`), 200);
    expect(anon.teams).toBeUndefined();
    await expectProblem(await max.get(`/api/v1/organization/no-such-org`), 404, "not_found");
  });

  test("members see every team, can_view only their own", async () => {
    const { org, owner } = await newOrg();
    await expectJson(await owner.put(`/api/v1/organization/${org}/team/readers`, { role: "member", description: "reads" }), 200);
    await expectJson(await owner.put(`/api/v1/organization/${org}/team/other`, { role: "member" }), 200);
    await expectJson(await owner.put(`/api/v1/organization/${org}/team/readers/members/max`), 200);
    const view = await expectJson(await (await as("max")).get(`/api/v1/organization/${org}`), 200);
    expect(view).toMatchObject({ is_admin: false, is_member: true, can_create_repo: false, ordered_teams: ["owners", "readers", "other"] });
    expect(view.teams.readers).toMatchObject({ role: "member", description: "reads", can_view: true, member_count: 1 });
    expect(view.teams.other.can_view).toBe(false);
    expect(view.invoice_email).toBeUndefined();
  });
});

// Security review (issue 8): an OAuth token's scopes cap its user's standing in an org, as in
// Quay. The org admin's repo:read token gets the public view and none of the admin views.
describe("OAuth tokens see an organization as their scopes allow", () => {
  const mint = async (scope: string) => {
    const minted = await server.server.ctx.oauth.mint(users.olivia!.id, scope);
    if (!minted.ok) throw new Error(minted.message);
    return { headers: { Authorization: `Bearer ${minted.token}` } };
  };
  const get = (path: string, init: RequestInit) => fetch(`${server.url}${path}`, init);

  test("repo:read: the public view, and every admin view refused", async () => {
    const { org, owner } = await newOrg();
    await expectJson(await owner.put(`/api/v1/organization/${org}/team/devs`, { role: "member" }), 200);
    await expectJson(await owner.put(`/api/v1/organization/${org}/robots/bot`), 201);
    const token = await mint("repo:read");
    const view = await expectJson(await get(`/api/v1/organization/${org}`, token), 200);
    expect(view).toEqual({ name: org, email: "", avatar: expect.objectContaining({ kind: "org" }), is_admin: false, is_member: false });
    for (const path of ["members", "members/olivia", "team/devs/members", "team/owners/permissions", "robots", "robots/bot", "prototypes", "applications"]) {
      const res = await get(`/api/v1/organization/${org}/${path}`, token);
      expect({ path, status: res.status }).toEqual({ path, status: 403 });
    }
  });

  test("repo:create: a member (teams, may create repositories), not an admin", async () => {
    const { org } = await newOrg();
    const view = await expectJson(await get(`/api/v1/organization/${org}`, await mint("repo:create")), 200);
    expect(view).toMatchObject({ email: "", is_admin: false, is_member: true, can_create_repo: true, ordered_teams: ["owners"] });
    expect(view.tag_expiration_s).toBeUndefined();
  });

  test("GET /user/ lists the org with the standing the token allows", async () => {
    const { org, owner } = await newOrg();
    const entry = async (init: RequestInit) =>
      (await expectJson(await get("/api/v1/user/", init), 200)).organizations.find((o: any) => o.name === org);
    expect((await expectJson(await owner.get("/api/v1/user/"), 200)).organizations.find((o: any) => o.name === org)).toMatchObject({ is_org_admin: true, can_create_repo: true });
    expect(await entry(await mint("user:read"))).toMatchObject({ is_org_admin: false, can_create_repo: false });
    expect(await entry(await mint("user:read repo:create"))).toMatchObject({ is_org_admin: false, can_create_repo: true });
    expect(await entry(await mint("user:read org:admin"))).toMatchObject({ is_org_admin: true, can_create_repo: true });
  });

  test("org:admin: the admin view", async () => {
    const { org } = await newOrg();
    const token = await mint("org:admin");
    expect(await expectJson(await get(`/api/v1/organization/${org}`, token), 200)).toMatchObject({ email: `${org}@example.com`, is_admin: true, is_member: true });
    expect((await expectJson(await get(`/api/v1/organization/${org}/members`, token), 200)).members.map((m: any) => m.name)).toEqual(["olivia"]);
  });
});

describe("organization members and deletion", () => {
  test("members list and removal from every team (org admin only)", async () => {
    const { org, owner } = await newOrg();
    await owner.put(`/api/v1/organization/${org}/team/aa`, { role: "member" });
    await owner.put(`/api/v1/organization/${org}/team/bb`, { role: "creator" });
    await expectJson(await owner.put(`/api/v1/organization/${org}/team/aa/members/nora`), 200);
    await expectJson(await owner.put(`/api/v1/organization/${org}/team/bb/members/nora`), 200);

    const nora = await as("nora");
    await expectProblem(await nora.get(`/api/v1/organization/${org}/members`), 403, "insufficient_scope");
    await expectProblem(await new V1Client(server.url).get(`/api/v1/organization/${org}/members`), 401, "invalid_token");
    await expectProblem(await nora.delete(`/api/v1/organization/${org}/members/olivia`), 403, "insufficient_scope");

    const list = await expectJson(await owner.get(`/api/v1/organization/${org}/members`), 200);
    expect(list.members.map((m: { name: string }) => m.name)).toEqual(["nora", "olivia"]);
    expect(list.members[0]).toMatchObject({ kind: "user", teams: [{ name: "aa" }, { name: "bb" }], repositories: [] });

    expect((await owner.delete(`/api/v1/organization/${org}/members/nora`)).status).toBe(204);
    const after = await expectJson(await owner.get(`/api/v1/organization/${org}/members`), 200);
    expect(after.members.map((m: { name: string }) => m.name)).toEqual(["olivia"]);
    expect((await expectJson(await nora.get(`/api/v1/organization/${org}`), 200)).is_member).toBe(false);
    // The only admin stays.
    await expectProblem(await owner.delete(`/api/v1/organization/${org}/members/olivia`), 400, "invalid_request");
  });

  test("DELETE needs org admin; takes teams, robots and repositories with it", async () => {
    const { org, owner } = await newOrg();
    await expectJson(await owner.post("/api/v1/repository", { namespace: org, repository: "app", visibility: "private", description: "" }), 201);
    await expectJson(await owner.put(`/api/v1/organization/${org}/robots/ci`), 201);
    await expectProblem(await (await as("max")).delete(`/api/v1/organization/${org}`), 403, "insufficient_scope");
    const anon = new V1Client(server.url);
    await anon.fetchCsrf();
    await expectProblem(await anon.delete(`/api/v1/organization/${org}`), 401, "invalid_token");
    await expectCsrfError(await owner.delete(`/api/v1/organization/${org}`, { csrf: false }));
    expect((await owner.delete(`/api/v1/organization/${org}`)).status).toBe(204);
    await expectProblem(await owner.get(`/api/v1/organization/${org}`), 404, "not_found");
    expect((await stores.repositories.find(`${org}/app`))).toBeUndefined();
    expect(await stores.robots.byName(`${org}+ci`)).toBeUndefined();
    // The name is free again.
    expect((await owner.post("/api/v1/organization/", { name: org })).status).toBe(201);
  });
});

describe("PUT /api/v1/organization/<org> and one member", () => {
  test("admins change the email and tag expiration; the view shows them to admins only", async () => {
    const { org, owner } = await newOrg();
    const view = await expectJson(await owner.put(`/api/v1/organization/${org}`, { email: `ops@${org}.example`, tag_expiration_s: 86400 }), 200);
    expect(view).toMatchObject({ name: org, email: `ops@${org}.example`, tag_expiration_s: 86400, is_admin: true });
    const nora = await as("nora");
    expect((await expectJson(await nora.get(`/api/v1/organization/${org}`), 200)).email).toBe("");
    expect((await expectProblem(await owner.put(`/api/v1/organization/${org}`, { tag_expiration_s: 5 }), 400, "invalid_request")).field).toBe("tag_expiration_s");
    expect((await expectProblem(await owner.put(`/api/v1/organization/${org}`, { email: "nope" }), 400, "invalid_request")).field).toBe("email");
    await expectProblem(await nora.put(`/api/v1/organization/${org}`, { email: "x@y.z" }), 403, "insufficient_scope");
    const anon = new V1Client(server.url);
    await anon.fetchCsrf();
    await expectProblem(await anon.put(`/api/v1/organization/${org}`, { email: "x@y.z" }), 401, "invalid_token");
    await expectCsrfError(await owner.put(`/api/v1/organization/${org}`, { email: "x@y.z" }, { csrf: false }));
  });

  test("GET one member: a user in a team or an org robot; others 404; admins only", async () => {
    const { org, owner } = await newOrg();
    await owner.put(`/api/v1/organization/${org}/team/aa`, { role: "member" });
    await expectJson(await owner.put(`/api/v1/organization/${org}/team/aa/members/nora`), 200);
    await expectJson(await owner.put(`/api/v1/organization/${org}/robots/ci`), 201);
    expect(await expectJson(await owner.get(`/api/v1/organization/${org}/members/nora`), 200)).toMatchObject({
      name: "nora",
      kind: "user",
      teams: [{ name: "aa" }],
      repositories: [],
    });
    expect((await expectJson(await owner.get(`/api/v1/organization/${org}/members/${org}+ci`), 200)).kind).toBe("robot");
    await expectProblem(await owner.get(`/api/v1/organization/${org}/members/max`), 404, "not_found");
    await expectProblem(await (await as("nora")).get(`/api/v1/organization/${org}/members/nora`), 403, "insufficient_scope");
  });
});

describe("teams", () => {
  test("PUT creates then updates; answers the team view", async () => {
    const { org, owner } = await newOrg();
    const made = await expectJson(await owner.put(`/api/v1/organization/${org}/team/devs`, { role: "member", description: "d" }), 200);
    expect(made).toMatchObject({ name: "devs", role: "member", description: "d", can_view: true, new_team: true });
    expect(made.avatar).toMatchObject({ name: "devs", kind: "team" });
    const updated = await expectJson(await owner.put(`/api/v1/organization/${org}/team/devs`, { role: "creator" }), 200);
    expect(updated).toMatchObject({ role: "creator", description: "d", new_team: false });
  });

  test("400 for bad bodies and names, naming the field", async () => {
    const { org, owner } = await newOrg();
    const role = await expectProblem(await owner.put(`/api/v1/organization/${org}/team/devs`, { role: "boss" }), 400, "invalid_request");
    expect(role.field).toBe("role");
    const missing = await expectProblem(await owner.put(`/api/v1/organization/${org}/team/devs`, { description: "x" }), 400, "invalid_request");
    expect(missing.field).toBe("role");
    const name = await expectProblem(await owner.put(`/api/v1/organization/${org}/team/Bad_Name`, { role: "member" }), 400, "invalid_request");
    expect(name.field).toBe("name");
    await owner.put(`/api/v1/organization/${org}/team/devs`, { role: "member" });
    await expectProblem(await owner.put(`/api/v1/organization/${org}/team/devs/members/ghost-user`), 400, "invalid_request", "Unknown user");
    const short = await expectProblem(await owner.put(`/api/v1/organization/${org}/team/x`, { role: "member" }), 400, "invalid_request");
    expect(short.field).toBe("name");
  });

  test("401 anonymous, 403 for a non-admin member, CSRF on writes", async () => {
    const { org, owner } = await newOrg();
    await owner.put(`/api/v1/organization/${org}/team/devs`, { role: "member" });
    await owner.put(`/api/v1/organization/${org}/team/devs/members/max`);
    const max = await as("max");
    await expectProblem(await max.put(`/api/v1/organization/${org}/team/devs`, { role: "admin" }), 403, "insufficient_scope");
    await expectProblem(await max.put(`/api/v1/organization/${org}/team/devs/members/nora`), 403, "insufficient_scope");
    await expectProblem(await max.delete(`/api/v1/organization/${org}/team/devs`), 403, "insufficient_scope");
    const anon = new V1Client(server.url);
    await anon.fetchCsrf();
    await expectProblem(await anon.put(`/api/v1/organization/${org}/team/devs`, { role: "member" }), 401, "invalid_token");
    await expectProblem(await anon.get(`/api/v1/organization/${org}/team/devs/members`), 401, "invalid_token");
    await expectCsrfError(await owner.put(`/api/v1/organization/${org}/team/devs`, { role: "admin" }, { csrf: false }));
    // Unknown orgs answer like forbidden ones.
    await expectProblem(await max.put(`/api/v1/organization/no-such-org/team/devs`, { role: "member" }), 403, "insufficient_scope");
  });

  test("members: team members and org admins may list; robots of the org join, others do not", async () => {
    const { org, owner } = await newOrg();
    await owner.put(`/api/v1/organization/${org}/team/devs`, { role: "member" });
    await owner.put(`/api/v1/organization/${org}/team/ops`, { role: "member" });
    await expectJson(await owner.put(`/api/v1/organization/${org}/robots/builder`), 201);
    const added = await expectJson(await owner.put(`/api/v1/organization/${org}/team/devs/members/max`), 200);
    expect(added).toMatchObject({ name: "max", kind: "user", is_robot: false, invited: false });
    const bot = await expectJson(await owner.put(`/api/v1/organization/${org}/team/devs/members/${org}+builder`), 200);
    expect(bot).toMatchObject({ name: `${org}+builder`, kind: "user", is_robot: true });
    await expectJson(await (await as("nora")).put(`/api/v1/user/robots/mine`), 201);
    await expectProblem(await owner.put(`/api/v1/organization/${org}/team/devs/members/nora+mine`), 400, "invalid_request");

    const max = await as("max");
    const list = await expectJson(await max.get(`/api/v1/organization/${org}/team/devs/members`), 200);
    expect(list).toMatchObject({ name: "devs", can_edit: false });
    expect(list.members.map((m: { name: string }) => m.name)).toEqual(["max", `${org}+builder`]);
    await expectProblem(await max.get(`/api/v1/organization/${org}/team/ops/members`), 403, "insufficient_scope");
    expect((await expectJson(await owner.get(`/api/v1/organization/${org}/team/ops/members`), 200)).can_edit).toBe(true);

    expect((await owner.delete(`/api/v1/organization/${org}/team/devs/members/max`)).status).toBe(204);
    await expectProblem(await max.get(`/api/v1/organization/${org}/team/devs/members`), 403, "insufficient_scope");
  });

  test("DELETE removes a team; the owners team stays", async () => {
    const { org, owner } = await newOrg();
    await owner.put(`/api/v1/organization/${org}/team/devs`, { role: "member" });
    expect((await owner.delete(`/api/v1/organization/${org}/team/devs`)).status).toBe(204);
    await expectProblem(await owner.get(`/api/v1/organization/${org}/team/devs/members`), 404, "not_found");
    await expectProblem(await owner.delete(`/api/v1/organization/${org}/team/owners`), 400, "invalid_request");
    await expectProblem(await owner.delete(`/api/v1/organization/${org}/team/nope`), 404, "not_found");
  });
});

describe("story: org → creator team → member creates a repo; org robot pushes", () => {
  test("end to end", async () => {
    const { org, owner } = await newOrg();
    const max = await as("max");
    // Before joining, max cannot create in the org.
    await expectProblem(await max.post("/api/v1/repository", { namespace: org, repository: "early", visibility: "private", description: "" }), 403, "insufficient_scope");

    await expectJson(await owner.put(`/api/v1/organization/${org}/team/builders`, { role: "creator" }), 200);
    await expectJson(await owner.put(`/api/v1/organization/${org}/team/builders/members/max`), 200);
    expect((await expectJson(await max.get(`/api/v1/organization/${org}`), 200)).can_create_repo).toBe(true);
    await expectJson(await max.post("/api/v1/repository", { namespace: org, repository: "app", visibility: "private", description: "" }), 201);

    // An org robot in a team granted write on the repository pushes through /v2/auth.
    const robot = await expectJson(await owner.put(`/api/v1/organization/${org}/robots/deployer`, { description: "ci" }), 201);
    await expectJson(await owner.put(`/api/v1/organization/${org}/team/deployers`, { role: "member" }), 200);
    await expectJson(await owner.put(`/api/v1/organization/${org}/team/deployers/members/${org}+deployer`), 200);
    const team = (await stores.teams.team((await stores.orgs.namespace(org))!.id, "deployers"))!;
    await stores.permissions.set((await stores.repositories.find(`${org}/app`))!.id, { teamId: team.id }, "write");

    const repo = `${org}/app`;
    const tokenFor = (secret: string) => registryAuth(server.url, [`${org}+deployer`, secret], `repository:${repo}:pull,push`);
    const first = await expectJson<{ token: string }>(await tokenFor(robot.token), 200);
    const access = JSON.parse(Buffer.from(first.token.split(".")[1]!, "base64url").toString("utf8")).access;
    expect(access).toEqual([{ type: "repository", name: repo, actions: ["pull", "push"] }]);
    const registry = new BearerRegistryClient(server.url, first.token);
    await registry.pushImage(repo, "v1", { layers: 1, layerSize: 64 });
    expect((await stores.tags.list((await stores.repositories.find(repo))!.id, undefined, 10))).toContain("v1");

    const renewed = await expectJson(await owner.post(`/api/v1/organization/${org}/robots/deployer/regenerate`), 200);
    expect(renewed.token).not.toBe(robot.token);
    expect((await tokenFor(robot.token)).status).toBe(401);
    expect((await tokenFor(renewed.token)).status).toBe(200);
  });
});
