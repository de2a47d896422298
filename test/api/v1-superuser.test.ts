// API v1 superuser panel in process (reference quay-api.md §2.12): users (list, create, read,
// change, delete) and organizations (list, delete; rename refused). Any superuser reads, read-only
// ones included; only real superusers write; fresh login everywhere.
import { beforeAll, describe, expect, test } from "bun:test";
import { BearerRegistryClient, registryAuthStatus, registryToken } from "../support/registryClient";
import { appTokenLookup, hashAppTokenCode, newAppTokenCode } from "../../src/auth/appTokenCode";
import { robotAdd } from "../../src/cli/accounts";
import type { Stores } from "../../src/store";
import { withStaleLogins } from "../support/clock";
import { resetLoginThrottles, type TestServer } from "../support/server";
import { expectCsrfError, expectJson, expectProblem, signedIn, V1Client } from "../support/v1Client";
import { worldForFile } from "../support/world";

const ADMIN_PASSWORD = "admin-Secret-1";
const PASSWORDS = { boss: "boss-Secret-1", auditor: "auditor-Secret-1", carl: "carl-Secret-1" } as const;

// `boss` is a superuser by configuration; the bootstrap `admin` by the flag on its account.
const world = worldForFile({ config: { auth: "token", superusers: "boss", readonlySuperusers: "auditor" }, server: { adminPassword: ADMIN_PASSWORD }, users: PASSWORDS });
let server: TestServer;
let stores: Stores;
beforeAll(() => ({ server, stores } = world));

const admin = () => signedIn(server.url, "admin", ADMIN_PASSWORD);
const as = (name: keyof typeof PASSWORDS) => signedIn(server.url, name, PASSWORDS[name]);
const uniq = () => crypto.randomUUID().slice(0, 8);

/** Status of GET /v2/auth for these credentials (a pull in the user's namespace). */
async function v2Auth(user: string, secret: string, ns = user.split("+")[0]): Promise<number> {
  return registryAuthStatus(server.url, [user, secret], `repository:${ns}/x:pull`);
}

/** A new account made over the API; answers its name and generated password. */
async function newUser(su: V1Client, prefix = "u"): Promise<{ name: string; password: string }> {
  const name = `${prefix}${uniq()}`;
  const made = await expectJson(await su.post("/api/v1/superuser/users/", { username: name, email: `${name}@example.com` }), 200);
  return { name, password: made.password };
}

describe("/api/v1/superuser/users/", () => {
  test("lists every user with Quay's user object", async () => {
    const su = await admin();
    const { users } = await expectJson(await su.get("/api/v1/superuser/users/"), 200);
    const byName = new Map(users.map((u: any) => [u.name, u]));
    expect(byName.get("carl")).toEqual({
      kind: "user",
      name: "carl",
      username: "carl",
      email: "carl@example.com",
      verified: true,
      avatar: expect.objectContaining({ name: "carl", kind: "user", hash: expect.stringMatching(/^[0-9a-f]{64}$/) }),
      super_user: false,
      global_readonly_super_user: false,
      enabled: true,
      // Quay's quota fields (QUOTA_MANAGEMENT): carl has no quota and no images.
      quotas: [],
      quota_report: { quota_bytes: 0, configured_quota: null, running_backfill: "complete", backfill_status: "complete" },
    });
    expect(byName.get("admin")).toMatchObject({ super_user: true, global_readonly_super_user: false });
    expect(byName.get("boss")).toMatchObject({ super_user: true });
    expect(byName.get("auditor")).toMatchObject({ super_user: false, global_readonly_super_user: true });
    // No robots, no organizations.
    expect(users.every((u: any) => !u.name.includes("+"))).toBe(true);
  });

  test("?disabled=false leaves disabled users out; pages with limit and next_page", async () => {
    const su = await admin();
    const off = await newUser(su, "off");
    await expectJson(await su.put(`/api/v1/superuser/users/${off.name}`, { enabled: false }), 200);
    const all = (await expectJson(await su.get("/api/v1/superuser/users/"), 200)).users.map((u: any) => u.name);
    expect(all).toContain(off.name);
    const enabled = (await expectJson(await su.get("/api/v1/superuser/users/?disabled=false"), 200)).users.map((u: any) => u.name);
    expect(enabled).not.toContain(off.name);
    expect(enabled.length).toBe(all.length - 1);

    const paged: string[] = [];
    let next: string | undefined;
    for (let i = 0; i < 50; i++) {
      const page = await expectJson(await su.get(`/api/v1/superuser/users/?limit=2${next ? `&next_page=${next}` : ""}`), 200);
      expect(page.users.length).toBeLessThanOrEqual(2);
      paged.push(...page.users.map((u: any) => u.name));
      next = page.next_page;
      if (!next) break;
    }
    expect(paged).toEqual(all);
    // Without a limit there is no next_page; an unreadable cursor means the first page.
    expect((await expectJson(await su.get("/api/v1/superuser/users/"), 200)).next_page).toBeUndefined();
    const first = await expectJson(await su.get("/api/v1/superuser/users/?limit=1&next_page=%25%25"), 200);
    expect(first.users.map((u: any) => u.name)).toEqual(all.slice(0, 1));
    await expectProblem(await su.get("/api/v1/superuser/users/?limit=101"), 400, "invalid_request", "Page limit cannot be above 100");
    await expectProblem(await su.get("/api/v1/superuser/users/?limit=two"), 400, "invalid_request");
  });

  test("creates a user with a generated password that logs in everywhere", async () => {
    const su = await admin();
    const name = `new${uniq()}`;
    const made = await expectJson(await su.post("/api/v1/superuser/users/", { username: name, email: `${name}@example.com` }), 200);
    expect(made).toEqual({
      username: name,
      email: `${name}@example.com`,
      password: expect.stringMatching(/^[A-Z0-9]{32}$/),
      encrypted_password: made.password,
    });
    expect((await expectJson(await (await signedIn(server.url, name, made.password)).get("/api/v1/user/"), 200)).username).toBe(name);
    expect(await v2Auth(name, made.password)).toBe(200);
    // Email is optional.
    const bare = `bare${uniq()}`;
    expect((await expectJson(await su.post("/api/v1/superuser/users/", { username: bare }), 200)).email).toBeNull();
  });

  test("create refuses taken names and emails, bad names and emails, bad bodies", async () => {
    const su = await admin();
    expect(await expectJson(await su.post("/api/v1/superuser/users/", { username: "carl" }), 400)).toEqual({ message: "Username has already been taken: carl" });
    await stores.orgs.create(`org${uniq()}`, (await stores.users.byName("carl"))!.id);
    const taken = `t${uniq()}`;
    expect(await expectJson(await su.post("/api/v1/superuser/users/", { username: taken, email: "carl@example.com" }), 400)).toEqual({
      message: "Email has already been used: carl@example.com",
    });
    expect((await expectJson(await su.post("/api/v1/superuser/users/", { username: "Bad Name" }), 400)).message).toMatch(/^Invalid username/);
    expect((await expectJson(await su.post("/api/v1/superuser/users/", { username: taken, email: "nope" }), 400)).message).toMatch(/^Invalid email/);
    expect((await expectProblem(await su.post("/api/v1/superuser/users/", {}), 400, "invalid_request")).field).toBe("username");
    expect((await expectProblem(await su.post("/api/v1/superuser/users/", { username: 5 }), 400, "invalid_request")).field).toBe("username");
    expect(await stores.users.byName(taken)).toBeUndefined();
  });
});

describe("/api/v1/superuser/users/<username>", () => {
  test("reads one user; unknown names, robots and organizations are 404", async () => {
    const su = await admin();
    expect(await expectJson(await su.get("/api/v1/superuser/users/carl"), 200)).toMatchObject({ name: "carl", kind: "user", enabled: true });
    await expectProblem(await su.get("/api/v1/superuser/users/nobody-here"), 404, "not_found");
    const org = `org${uniq()}`;
    await stores.orgs.create(org, (await stores.users.byName("carl"))!.id);
    await expectProblem(await su.get(`/api/v1/superuser/users/${org}`), 404, "not_found");
    await robotAdd(stores, `carl+bot${uniq()}`);
    await expectProblem(await su.get("/api/v1/superuser/users/carl+bot"), 404, "not_found");
  });

  test("changes email and password; a new password ends the user's sessions", async () => {
    const su = await admin();
    const u = await newUser(su);
    const session = await signedIn(server.url, u.name, u.password);
    const changed = await expectJson(await su.put(`/api/v1/superuser/users/${u.name}`, { email: `${u.name}@new.example.com`, password: "fresh-Password-2" }), 200);
    expect(changed).toMatchObject({ name: u.name, email: `${u.name}@new.example.com`, enabled: true, encrypted_password: "fresh-Password-2" });
    await expectProblem(await session.get("/api/v1/user/"), 401, "invalid_token");
    expect(await v2Auth(u.name, u.password)).toBe(401);
    expect(await v2Auth(u.name, "fresh-Password-2")).toBe(200);
    // Without a password change there is no encrypted_password.
    expect((await expectJson(await su.put(`/api/v1/superuser/users/${u.name}`, {}), 200)).encrypted_password).toBeUndefined();
  });

  test("disabling ends sessions, cached registry logins, app tokens and robots; enabling restores logins", async () => {
    const su = await admin();
    const u = await newUser(su);
    const session = await signedIn(server.url, u.name, u.password);
    const robotToken = await robotAdd(stores, `${u.name}+ci`);
    const code = newAppTokenCode();
    await stores.appTokens.create((await stores.users.byName(u.name))!.id, "cli", appTokenLookup(code), hashAppTokenCode(code), null);
    // Each login once, so the credential cache holds them.
    expect(await v2Auth(u.name, u.password)).toBe(200);
    expect(await v2Auth(`${u.name}+ci`, robotToken)).toBe(200);
    expect(await v2Auth("$app", code, u.name)).toBe(200);

    expect(await expectJson(await su.put(`/api/v1/superuser/users/${u.name}`, { enabled: false }), 200)).toMatchObject({ enabled: false });
    await expectProblem(await session.get("/api/v1/user/"), 401, "invalid_token");
    expect(await v2Auth(u.name, u.password)).toBe(401);
    expect(await v2Auth(`${u.name}+ci`, robotToken)).toBe(401);
    expect(await v2Auth("$app", code, u.name)).toBe(401);
    expect((await new V1Client(server.url).signinRaw(u.name, u.password)).status).toBe(403);

    // The refused logins above count towards the backoff; start clean.
    await resetLoginThrottles(server);
    expect(await expectJson(await su.put(`/api/v1/superuser/users/${u.name}`, { enabled: true }), 200)).toMatchObject({ enabled: true });
    expect(await v2Auth(u.name, u.password)).toBe(200);
    expect(await v2Auth("$app", code, u.name)).toBe(200);
    expect((await (await signedIn(server.url, u.name, u.password)).get("/api/v1/user/")).status).toBe(200);
  });

  test("superuser: true makes a superuser, who then cannot be changed or deleted here", async () => {
    const su = await admin();
    const u = await newUser(su);
    expect(await expectJson(await su.put(`/api/v1/superuser/users/${u.name}`, { superuser: true }), 200)).toMatchObject({ super_user: true });
    const promoted = await signedIn(server.url, u.name, u.password);
    expect((await expectJson(await promoted.get("/api/v1/user/"), 200)).super_user).toBe(true);
    expect((await promoted.get("/api/v1/superuser/users/")).status).toBe(200);
    await expectProblem(await su.put(`/api/v1/superuser/users/${u.name}`, { superuser: false }), 400, "invalid_request", "Cannot update a superuser");
    await expectProblem(await su.delete(`/api/v1/superuser/users/${u.name}`), 400, "invalid_request", "Cannot delete a superuser");
  });

  test("superusers by configuration cannot be changed or deleted, not even their own account", async () => {
    const su = await admin();
    await expectProblem(await su.put("/api/v1/superuser/users/boss", { enabled: false }), 400, "invalid_request", "Cannot update a superuser");
    await expectProblem(await su.put("/api/v1/superuser/users/admin", { password: "other-Password-1" }), 400, "invalid_request", "Cannot update a superuser");
    await expectProblem(await su.delete("/api/v1/superuser/users/boss"), 400, "invalid_request", "Cannot delete a superuser");
    expect((await stores.users.byName("boss"))?.enabled).toBe(true);
  });

  test("change refuses taken emails, bad passwords and bad bodies; unknown users are 404", async () => {
    const su = await admin();
    const u = await newUser(su);
    expect(await expectJson(await su.put(`/api/v1/superuser/users/${u.name}`, { email: "carl@example.com" }), 400)).toEqual({ message: "E-mail address already used" });
    expect((await expectJson(await su.put(`/api/v1/superuser/users/${u.name}`, { password: "short" }), 400)).message).toMatch(/at least 8/);
    expect((await expectJson(await su.put(`/api/v1/superuser/users/${u.name}`, { email: "nope" }), 400)).message).toMatch(/^Invalid email/);
    expect((await expectProblem(await su.put(`/api/v1/superuser/users/${u.name}`, { enabled: "no" }), 400, "invalid_request")).field).toBe("enabled");
    expect((await expectProblem(await su.put(`/api/v1/superuser/users/${u.name}`, { password: 12345678 }), 400, "invalid_request")).field).toBe("password");
    // Nothing was applied by the refused changes.
    expect(await stores.users.byName(u.name)).toMatchObject({ email: `${u.name}@example.com`, enabled: true });
    expect(await v2Auth(u.name, u.password)).toBe(200);
    await expectProblem(await su.put("/api/v1/superuser/users/nobody-here", { enabled: false }), 404, "not_found");
    await expectProblem(await su.delete("/api/v1/superuser/users/nobody-here"), 404, "not_found");
  });

  test("delete removes the account, its namespace, robots, tokens and sessions; the name is free again", async () => {
    const su = await admin();
    const u = await newUser(su, "gone");
    const session = await signedIn(server.url, u.name, u.password);
    await stores.repositories.ensure(`${u.name}/app`);
    const robotToken = await robotAdd(stores, `${u.name}+ci`);
    expect(await v2Auth(`${u.name}+ci`, robotToken)).toBe(200);
    expect(await v2Auth(u.name, u.password)).toBe(200);

    expect((await su.delete(`/api/v1/superuser/users/${u.name}`)).status).toBe(204);
    await expectProblem(await session.get("/api/v1/user/"), 401, "invalid_token");
    expect(await v2Auth(u.name, u.password)).toBe(401);
    expect(await v2Auth(`${u.name}+ci`, robotToken)).toBe(401);
    expect(await stores.repositories.find(`${u.name}/app`)).toBeUndefined();
    expect(await stores.orgs.namespace(u.name)).toBeUndefined();
    await expectProblem(await su.get(`/api/v1/superuser/users/${u.name}`), 404, "not_found");
    expect((await su.post("/api/v1/superuser/users/", { username: u.name })).status).toBe(200);
  });

  test("delete refuses the only admin of an organization", async () => {
    const su = await admin();
    const u = await newUser(su);
    const org = `org${uniq()}`;
    await stores.orgs.create(org, (await stores.users.byName(u.name))!.id);
    expect(await expectJson(await su.delete(`/api/v1/superuser/users/${u.name}`), 400)).toEqual({
      message: `Cannot delete ${u.name} as you are the only admin for organizations: ${org}`,
    });
    expect(await stores.users.byName(u.name)).toBeDefined();
  });
});

describe("/api/v1/superuser/organizations/", () => {
  test("lists organizations, pages, deletes one with its repositories and robots", async () => {
    const su = await admin();
    const org = `org${uniq()}`;
    await stores.orgs.create(org, (await stores.users.byName("carl"))!.id);
    await stores.repositories.ensure(`${org}/app`);
    const robotToken = await robotAdd(stores, `${org}+deploy`);
    expect(await v2Auth(`${org}+deploy`, robotToken)).toBe(200);

    const { organizations } = await expectJson(await su.get("/api/v1/superuser/organizations/"), 200);
    expect(organizations).toContainEqual({
      name: org,
      email: null,
      avatar: expect.objectContaining({ name: org, kind: "org" }),
      quotas: [],
      quota_report: expect.objectContaining({ quota_bytes: 0, configured_quota: null }),
    });
    expect(organizations.map((o: any) => o.name)).not.toContain("carl");
    const first = await expectJson(await su.get("/api/v1/superuser/organizations/?limit=1"), 200);
    expect(first.organizations).toEqual(organizations.slice(0, 1));
    if (organizations.length > 1) {
      const second = await expectJson(await su.get(`/api/v1/superuser/organizations/?limit=1&next_page=${first.next_page}`), 200);
      expect(second.organizations).toEqual(organizations.slice(1, 2));
    }
    await expectProblem(await su.get("/api/v1/superuser/organizations/?limit=500"), 400, "invalid_request");

    expect((await su.delete(`/api/v1/superuser/organizations/${org}`)).status).toBe(204);
    expect(await stores.orgs.namespace(org)).toBeUndefined();
    expect(await stores.repositories.find(`${org}/app`)).toBeUndefined();
    expect(await v2Auth(`${org}+deploy`, robotToken)).toBe(401);
    await expectProblem(await su.delete(`/api/v1/superuser/organizations/${org}`), 404, "not_found");
    // A user's namespace is not an organization.
    await expectProblem(await su.delete("/api/v1/superuser/organizations/carl"), 404, "not_found");
    expect(await stores.users.byName("carl")).toBeDefined();
  });

  test("PUT answers the organization unchanged; a rename is refused with 501", async () => {
    const su = await admin();
    const org = `org${uniq()}`;
    await stores.orgs.create(org, (await stores.users.byName("carl"))!.id);
    expect(await expectJson(await su.put(`/api/v1/superuser/organizations/${org}`, {}), 200)).toMatchObject({ name: org });
    expect(await expectJson(await su.put(`/api/v1/superuser/organizations/${org}`, { name: org }), 200)).toMatchObject({ name: org });
    expect(await expectJson(await su.put(`/api/v1/superuser/organizations/${org}`, { name: `${org}-b` }), 501)).toEqual({
      message: "Renaming an organization is not supported",
    });
    expect(await stores.orgs.namespace(org)).toBeDefined();
    expect((await expectProblem(await su.put(`/api/v1/superuser/organizations/${org}`, { name: 5 }), 400, "invalid_request")).field).toBe("name");
    await expectProblem(await su.put("/api/v1/superuser/organizations/nobody-here", {}), 404, "not_found");
  });
});

describe("/api/v1/superuser/registrysize/", () => {
  test("Quay's shape with the bytes of every stored blob, fresh on each read; POST (calculate now) answers 201", async () => {
    const boss = await as("boss");
    const before = await expectJson(await boss.get("/api/v1/superuser/registrysize/"), 200);
    expect(before).toEqual({ size_bytes: expect.any(Number), last_ran: expect.any(Number), queued: false, running: false });
    expect(Math.abs(before.last_ran - Date.now())).toBeLessThan(60_000);

    const token = await registryToken(server.url, ["boss", PASSWORDS.boss], "repository:boss/sized:push,pull");
    const image = await new BearerRegistryClient(server.url, token).pushImage("boss/sized", "v1", { layers: 2, layerSize: 3000 });
    const pushed = image.config.size + image.layers.reduce((n, l) => n + l.size, 0);
    expect((await boss.post("/api/v1/superuser/registrysize/")).status).toBe(201);
    const after = await expectJson(await boss.get("/api/v1/superuser/registrysize/"), 200);
    expect(after.size_bytes - before.size_bytes).toBe(pushed);
    // Read-only superusers read it; users do not; writes need a real superuser.
    expect((await (await as("auditor")).get("/api/v1/superuser/registrysize/")).status).toBe(200);
    await expectProblem(await (await as("auditor")).post("/api/v1/superuser/registrysize/"), 403, "insufficient_scope");
    await expectProblem(await (await as("carl")).get("/api/v1/superuser/registrysize/"), 403, "insufficient_scope");
    await withStaleLogins(async () => {
      await expectProblem(await boss.get("/api/v1/superuser/registrysize/"), 401, "fresh_login_required");
    });
  });
});

describe("an organization's avatar", () => {
  test("is computed from its e-mail, as Quay's, in every view that shows it", async () => {
    const boss = await as("boss");
    const org = `av${uniq()}`;
    const email = `Team-${org}@Example.com `;
    expect((await boss.post("/api/v1/organization/", { name: org, email: email.trim() })).status).toBe(201);
    const expected = { name: org, kind: "org", hash: new Bun.CryptoHasher("sha256").update(email.trim().toLowerCase()).digest("hex"), color: expect.stringMatching(/^#[0-9a-f]{6}$/) };

    const anon = new V1Client(server.url);
    const views = {
      org: (await expectJson(await boss.get(`/api/v1/organization/${org}`), 200)).avatar,
      // Outsiders do not see the address, but the avatar is the same.
      orgAnonymous: (await expectJson(await anon.get(`/api/v1/organization/${org}`), 200)).avatar,
      me: (await expectJson(await boss.get("/api/v1/user/"), 200)).organizations.find((o: any) => o.name === org).avatar,
      superuserList: (await expectJson(await boss.get("/api/v1/superuser/organizations/"), 200)).organizations.find((o: any) => o.name === org).avatar,
      entities: (await expectJson(await boss.get(`/api/v1/entities/${org}?namespace=${org}&includeOrgs=true`), 200)).results.find((r: any) => r.kind === "org").avatar,
      logs: (await expectJson(await boss.get(`/api/v1/superuser/logs?performer=boss`), 200)).logs.find((l: any) => l.kind === "org_create" && l.namespace?.name === org).namespace.avatar,
    };
    for (const [where, avatar] of Object.entries(views)) expect({ where, avatar }).toEqual({ where, avatar: expected });
  });
});

describe("who may call the superuser API", () => {
  const reads = ["/api/v1/superuser/users/", "/api/v1/superuser/users/carl", "/api/v1/superuser/organizations/"];
  const writes: [string, string, unknown?][] = [
    ["POST", "/api/v1/superuser/users/", { username: "never-made" }],
    ["PUT", "/api/v1/superuser/users/carl", { enabled: false }],
    ["DELETE", "/api/v1/superuser/users/carl"],
    ["PUT", "/api/v1/superuser/organizations/some-org", {}],
    ["DELETE", "/api/v1/superuser/organizations/some-org"],
  ];

  test("401 anonymous, 403 for users who are not superusers", async () => {
    const anon = new V1Client(server.url);
    await anon.fetchCsrf();
    const carl = await as("carl");
    for (const path of reads) {
      await expectProblem(await anon.get(path), 401, "invalid_token");
      await expectProblem(await carl.get(path), 403, "insufficient_scope");
    }
    for (const [method, path, json] of writes) {
      await expectProblem(await anon.fetch(path, { method, json }), 401, "invalid_token");
      await expectProblem(await carl.fetch(path, { method, json }), 403, "insufficient_scope");
    }
    expect((await stores.users.byName("carl"))?.enabled).toBe(true);
  });

  test("a read-only superuser reads everything and writes nothing", async () => {
    await stores.orgs.create("some-org", (await stores.users.byName("carl"))!.id);
    const auditor = await as("auditor");
    for (const path of reads) expect((await auditor.get(path)).status).toBe(200);
    for (const [method, path, json] of writes) await expectProblem(await auditor.fetch(path, { method, json }), 403, "insufficient_scope");
    expect(await stores.users.byName("never-made")).toBeUndefined();
    expect(await stores.orgs.namespace("some-org")).toBeDefined();
  });

  test("every method needs a fresh login; verifying the password renews it", async () => {
    const su = await admin();
    const carl = await as("carl");
    await withStaleLogins(async () => {
      for (const path of reads) await expectProblem(await su.get(path), 401, "fresh_login_required");
      for (const [method, path, json] of writes) await expectProblem(await su.fetch(path, { method, json }), 401, "fresh_login_required");
      // Who is no superuser hears so first: re-verifying would not help them.
      await expectProblem(await carl.get(reads[0]!), 403, "insufficient_scope");
      expect((await su.post("/api/v1/signin/verify", { password: ADMIN_PASSWORD })).status).toBe(200);
      expect((await su.get(reads[0]!)).status).toBe(200);
    });
  });

  test("CSRF refused for cookie writes without the token", async () => {
    const su = await admin();
    await expectCsrfError(await su.post("/api/v1/superuser/users/", { username: "never-made" }, { csrf: false }));
    await expectCsrfError(await su.put("/api/v1/superuser/users/carl", { enabled: false }, { csrf: false }));
    await expectCsrfError(await su.delete("/api/v1/superuser/users/carl", { csrf: "forged" }));
    expect(await stores.users.byName("never-made")).toBeUndefined();
    expect((await stores.users.byName("carl"))?.enabled).toBe(true);
  });
});
