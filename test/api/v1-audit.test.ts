// Audit entries of API v1 writes (reference quay-api.md §2.11): every write route declares the log
// kinds it records (the `audit` macro, `x-log-kinds`), except the few Quay records nothing for;
// and a representative write of each family is read back through the log endpoints with its
// kind, performer and metadata as Quay's log_action calls write them.
import { beforeAll, describe, expect, test } from "bun:test";
import { createApp } from "../../src/app";
import { LOG_KINDS } from "../../src/audit/logKinds";
import { RegistryClient, registryToken } from "../support/registryClient";
import type { TestServer } from "../support/server";
import { expectJson, signedIn, V1Client } from "../support/v1Client";
import { worldForFile } from "../support/world";

const ADMIN_PASSWORD = "admin-Secret-1";
const PASSWORDS = { alice: "alice-Secret-1", bob: "bob-Secret-1" } as const;
const REDIRECT = "https://ci.example.com/callback";

/**
 * Write routes that record no entry, because Quay's record none (checked against its
 * endpoints/api and endpoints/web.py). Every other write route must declare its kinds.
 */
const UNAUDITED: Record<string, string> = {
  // login_success / login_failure / logout_success need ACTION_LOG_AUDIT_LOGINS (off by default).
  "POST /api/v1/signin": "login audit is off by default",
  "POST /api/v1/signin/verify": "a password re-check: login audit is off by default",
  "POST /api/v1/signout": "logout audit is off by default",
  "POST /api/v1/user/initialize": "Quay's user_initialize writes no user_create",
  "POST /api/v1/repository/:repository/notification/:uuid/test": "Quay's testRepoNotification logs nothing",
  "POST /oauth/authorizeapp": "Quay's implicit grant (get_token_response) logs nothing",
  "DELETE /api/v1/user/assignedauthorization/:assigned_authorization_uuid": "Quay's deleteAssignedAuthorization logs nothing",
  "PUT /api/v1/superuser/organizations/:name": "org_change_name is a rename's, and renames answer 501",
  "DELETE /api/v1/superuser/organizations/:name": "Quay's superuser deleteOrganization logs nothing (org_delete is the org's own DELETE)",
  "POST /api/v1/user/starred": "Quay's createStar logs nothing",
  "DELETE /api/v1/user/starred/:repository": "Quay's deleteStar logs nothing",
  "POST /api/v1/messages": "Quay's createGlobalMessage logs nothing (no log kind exists for messages)",
  "DELETE /api/v1/message/:uuid": "Quay's deleteGlobalMessage logs nothing",
  "PUT /api/v1/user/notifications/:uuid": "Quay's updateUserNotification (dismissing) logs nothing",
  "DELETE /api/v1/user/authorizations/:access_token_uuid": "Quay's deleteUserAuthorization logs nothing",
  "POST /api/v1/superuser/registrysize/": "Quay's queueRegistrySizeCalculation logs nothing",
  "POST /api/v1/organization/:orgname/validateproxycache": "Quay's ProxyCacheConfigValidation only tries a login upstream and logs nothing",
  "POST /api/v1/superuser/users/:username/quota": "Quay's superuser quota endpoints log nothing (org_*_quota are the organization endpoints')",
  "PUT /api/v1/superuser/users/:username/quota/:quota_id": "Quay's superuser quota endpoints log nothing",
  "DELETE /api/v1/superuser/users/:username/quota/:quota_id": "Quay's superuser quota endpoints log nothing",
  "POST /api/v1/superuser/organization/:namespace/quota": "Quay's superuser quota endpoints log nothing",
  "PUT /api/v1/superuser/organization/:namespace/quota/:quota_id": "Quay's superuser quota endpoints log nothing",
  "DELETE /api/v1/superuser/organization/:namespace/quota/:quota_id": "Quay's superuser quota endpoints log nothing",
};

const world = worldForFile({ config: { auth: "token" }, server: { adminPassword: ADMIN_PASSWORD }, users: PASSWORDS });
let server: TestServer;
beforeAll(() => ({ server } = world));

const as = (name: keyof typeof PASSWORDS) => signedIn(server.url, name, PASSWORDS[name]);
/** The bootstrap admin: a superuser by the flag on its account. */
const admin = () => signedIn(server.url, "admin", ADMIN_PASSWORD);
const uniq = () => crypto.randomUUID().slice(0, 8);

/** Every entry of a log endpoint (all pages), newest first. */
async function logsAt(client: V1Client, path: string): Promise<any[]> {
  const out: any[] = [];
  let next: string | undefined;
  do {
    const sep = path.includes("?") ? "&" : "?";
    const page = await expectJson(await client.get(next ? `${path}${sep}next_page=${encodeURIComponent(next)}` : path), 200);
    out.push(...page.logs);
    next = page.next_page;
  } while (next);
  return out;
}

/** An entry of this kind by this performer whose metadata holds these keys. */
const entry = (kind: string, performer: string | null, metadata: Record<string, unknown>) =>
  expect.objectContaining({
    kind,
    metadata: expect.objectContaining(metadata),
    ...(performer === null ? {} : { performer: expect.objectContaining({ name: performer, kind: "user" }) }),
  });

const kindsOf = (logs: any[]) => logs.map((l) => l.kind);

describe("the route table", () => {
  test("every write route declares its log kinds, except those Quay leaves unlogged", () => {
    const routes = createApp(server.server.ctx).routes.filter(
      (r) =>
        !["GET", "HEAD", "OPTIONS"].includes(r.method) &&
        (r.path.startsWith("/api/v1/") || r.path.startsWith("/oauth/")) &&
        // Quay endpoints Berth answers with 501 change nothing.
        (r.hooks as any)?.detail?.["x-not-supported"] !== true,
    );
    expect(routes.length).toBeGreaterThan(50);
    const declared = (r: (typeof routes)[number]): unknown => (r.hooks as any)?.detail?.["x-log-kinds"];
    const undeclared = routes.filter((r) => !Array.isArray(declared(r)) || (declared(r) as unknown[]).length === 0).map((r) => `${r.method} ${r.path}`);
    expect(undeclared.sort()).toEqual(Object.keys(UNAUDITED).sort());
    for (const r of routes) for (const kind of (declared(r) as string[] | undefined) ?? []) expect(LOG_KINDS as readonly string[]).toContain(kind);
  });
});

describe("the caller's account (user logs; self-deletion in the superuser logs)", () => {
  test("sign-up, changes of e-mail, expiration, profile, invoicing and password, then deletion", async () => {
    const name = `u${uniq()}`;
    const client = new V1Client(server.url);
    await client.fetchCsrf();
    await expectJson(await client.post("/api/v1/user/", { username: name, password: "Signup-Secret-1", email: `${name}@example.com` }), 200);
    const signup = await logsAt(client, "/api/v1/user/logs");
    // Quay records the creation before it signs the new user in: nobody performed it.
    expect(signup).toEqual([expect.objectContaining({ kind: "user_create", metadata: { namespace: name, email: `${name}@example.com`, username: name } })]);
    expect(signup[0].performer).toBeUndefined();

    const changes = {
      email: `${name}@example.org`,
      tag_expiration_s: 604800,
      given_name: "Ada",
      company: "Berth",
      invoice_email: true,
      invoice_email_address: "billing@example.org",
    };
    await expectJson(await client.put("/api/v1/user/", changes), 200);
    // The same e-mail and invoice address again change nothing and record nothing.
    await expectJson(await client.put("/api/v1/user/", { email: changes.email, invoice_email_address: changes.invoice_email_address }), 200);
    await expectJson(await client.put("/api/v1/user/", { password: "Changed-Secret-2" }), 200);
    const logs = await logsAt(client, "/api/v1/user/logs");
    expect(logs).toContainEqual(entry("user_change_email", name, { email: changes.email, old_email: `${name}@example.com` }));
    expect(logs).toContainEqual(entry("user_change_tag_expiration", name, { tag_expiration: 604800 }));
    expect(logs).toContainEqual(entry("user_change_metadata", name, { given_name: "Ada", company: "Berth" }));
    expect(logs).toContainEqual(entry("user_change_invoicing", name, { invoice_email: true }));
    expect(logs).toContainEqual(entry("user_change_invoicing", name, { invoice_email_address: "billing@example.org" }));
    // Quay's kind for changing one's own password (user_change_password is the superuser panel's).
    expect(logs).toContainEqual(entry("account_change_password", name, { namespace: name, username: name }));
    expect(kindsOf(logs).filter((k) => k === "user_change_email")).toHaveLength(1);
    expect(logs.filter((l) => l.kind === "user_change_invoicing" && "invoice_email_address" in l.metadata)).toHaveLength(1);
    expect(logs.find((l) => l.kind === "user_change_metadata").metadata).not.toHaveProperty("family_name");

    expect((await client.delete("/api/v1/user/")).status).toBe(204);
    const su = await admin();
    const all = await logsAt(su, `/api/v1/superuser/logs?performer=${name}`);
    expect(all[0]).toEqual(entry("user_delete", name, { username: name }));
    expect(all[0].namespace).toMatchObject({ kind: "user", name });
  });

  test("app-specific tokens: created and revoked, named by title and uuid", async () => {
    const alice = await as("alice");
    const { token } = await expectJson(await alice.post("/api/v1/user/apptoken", { title: `ci-${uniq()}` }), 200);
    expect((await alice.delete(`/api/v1/user/apptoken/${token.uuid}`)).status).toBe(204);
    const keys = { app_specific_token_title: token.title, app_specific_token: token.uuid, namespace: "alice" };
    const logs = await logsAt(alice, "/api/v1/user/logs");
    expect(logs).toContainEqual(entry("create_app_specific_token", "alice", keys));
    expect(logs).toContainEqual(entry("revoke_app_specific_token", "alice", keys));
  });
});

describe("the superuser panel (superuser logs)", () => {
  test("create, change password and e-mail, disable, enable and delete a user", async () => {
    const su = await admin();
    const name = `p${uniq()}`;
    await expectJson(await su.post("/api/v1/superuser/users/", { username: name, email: `${name}@example.com` }), 200);
    await expectJson(await su.put(`/api/v1/superuser/users/${name}`, { password: "Panel-Secret-9", email: `${name}@example.org`, enabled: false }), 200);
    await expectJson(await su.put(`/api/v1/superuser/users/${name}`, { enabled: true }), 200);
    expect((await su.delete(`/api/v1/superuser/users/${name}`)).status).toBe(204);

    const about = (await logsAt(su, "/api/v1/superuser/logs?performer=admin")).filter((l) => l.namespace?.name === name);
    const by = { superuser: "admin" };
    expect(about).toContainEqual(entry("user_create", "admin", { email: `${name}@example.com`, username: name, ...by }));
    expect(about).toContainEqual(entry("user_change_password", "admin", { username: name, ...by }));
    expect(about).toContainEqual(entry("user_change_email", "admin", { old_email: `${name}@example.com`, email: `${name}@example.org`, ...by }));
    expect(about).toContainEqual(entry("user_disable", "admin", { username: name, ...by }));
    expect(about).toContainEqual(entry("user_enable", "admin", { username: name, ...by }));
    expect(about[0]).toEqual(entry("user_delete", "admin", { username: name }));
    expect(about).toHaveLength(6);
  });

  test("the superuser flag and deleting an organization record nothing, as in Quay", async () => {
    const su = await admin();
    const name = `f${uniq()}`;
    await expectJson(await su.post("/api/v1/superuser/users/", { username: name }), 200);
    await expectJson(await su.put(`/api/v1/superuser/users/${name}`, { superuser: true }), 200);
    const alice = await as("alice");
    const org = `o${uniq()}`;
    await expectJson(await alice.post("/api/v1/organization/", { name: org }), 201);
    expect((await su.delete(`/api/v1/superuser/organizations/${org}`)).status).toBe(204);
    const all = await logsAt(su, "/api/v1/superuser/logs");
    expect(kindsOf(all.filter((l) => l.namespace?.name === name))).toEqual(["user_create"]);
    expect(kindsOf(all.filter((l) => l.namespace?.name === org))).toEqual(["org_create"]);
  });
});

describe("an entry's lookups", () => {
  test("are done when the answer arrives: a next request that deletes the namespace leaves the entry its namespace", async () => {
    // On PostgreSQL the namespace is looked up by a query that may answer after the client's next
    // request; slowed down here, so the order is the same on SQLite.
    const orgs = server.server.ctx.stores.orgs;
    const lookUp = orgs.namespace;
    orgs.namespace = async (name: string) => {
      await Bun.sleep(150);
      return lookUp.call(orgs, name);
    };
    const alice = await as("alice");
    const org = `o${uniq()}`;
    try {
      await expectJson(await alice.post("/api/v1/organization/", { name: org }), 201);
    } finally {
      orgs.namespace = lookUp;
    }
    expect((await (await admin()).delete(`/api/v1/superuser/organizations/${org}`)).status).toBe(204);
    const all = await logsAt(await admin(), "/api/v1/superuser/logs");
    expect(all.filter((l) => l.namespace?.name === org).map((l) => l.kind)).toEqual(["org_create"]);
  });
});

describe("an organization's OAuth applications and default permissions (organization logs)", () => {
  async function newOrg(): Promise<{ alice: V1Client; org: string }> {
    const alice = await as("alice");
    const org = `o${uniq()}`;
    await expectJson(await alice.post("/api/v1/organization/", { name: org }), 201);
    return { alice, org };
  }

  test("applications: created, updated, secret reset, a token assigned, deleted", async () => {
    const { alice, org } = await newOrg();
    const base = `/api/v1/organization/${org}/applications`;
    const app = await expectJson(await alice.post(base, { name: "ci-bot", redirect_uri: REDIRECT, description: "CI" }), 200);
    const update = { name: "ci-bot-2", redirect_uri: REDIRECT, application_uri: "https://ci.example.com" };
    await expectJson(await alice.put(`${base}/${app.client_id}`, update), 200);
    await expectJson(await alice.post(`${base}/${app.client_id}/resetclientsecret`), 200);
    const q = new URLSearchParams({ client_id: app.client_id, redirect_uri: REDIRECT, scope: "repo:read", username: "bob", response_type: "token" });
    await expectJson(await alice.post(`/oauth/authorize/assignuser?${q}`), 200);
    expect((await alice.delete(`${base}/${app.client_id}`)).status).toBe(204);

    const logs = await logsAt(alice, `/api/v1/organization/${org}/logs`);
    const ids = { client_id: app.client_id, namespace: org };
    expect(logs).toContainEqual(entry("create_application", "alice", { name: "ci-bot", redirect_uri: REDIRECT, description: "CI", application_name: "ci-bot", ...ids }));
    expect(logs).toContainEqual(entry("update_application", "alice", { ...update, application_name: "ci-bot-2", ...ids }));
    expect(logs).toContainEqual(entry("reset_application_client_secret", "alice", { application_name: "ci-bot-2", ...ids }));
    expect(logs).toContainEqual(entry("oauth_token_assigned", "alice", { assigning_user: "alice", assigned_user: "bob", application: "ci-bot-2", ...ids }));
    expect(logs[0]).toEqual(entry("delete_application", "alice", { application_name: "ci-bot-2", ...ids }));
    // The secret never appears in an entry.
    expect(JSON.stringify(logs)).not.toContain(app.client_secret);
  });

  test("default permissions: created (for a team, and for a user on one's creations), modified, deleted", async () => {
    const { alice, org } = await newOrg();
    await expectJson(await alice.put(`/api/v1/organization/${org}/team/devs`, { role: "member" }), 200);
    const base = `/api/v1/organization/${org}/prototypes`;
    const forTeam = await expectJson(await alice.post(base, { role: "read", delegate: { name: "devs", kind: "team" } }), 200);
    const forBob = await expectJson(await alice.post(base, { role: "write", delegate: { name: "bob", kind: "user" }, activating_user: { name: "alice" } }), 200);
    await expectJson(await alice.put(`${base}/${forBob.id}`, { role: "admin" }), 200);
    expect((await alice.delete(`${base}/${forBob.id}`)).status).toBe(204);

    const logs = await logsAt(alice, `/api/v1/organization/${org}/logs`);
    expect(logs).toContainEqual(
      entry("create_prototype_permission", "alice", { prototypeid: forTeam.id, role: "read", delegate_team: "devs", activating_username: null, username: "alice" }),
    );
    const bob = { prototypeid: forBob.id, delegate_user: "bob", activating_username: "alice" };
    expect(logs).toContainEqual(entry("create_prototype_permission", "alice", { ...bob, role: "write" }));
    expect(logs).toContainEqual(entry("modify_prototype_permission", "alice", { ...bob, role: "admin", original_role: "write" }));
    expect(logs[0]).toEqual(entry("delete_prototype_permission", "alice", { ...bob, role: "admin", namespace: org }));
  });
});

describe("a repository's notifications and manifest labels (repository logs)", () => {
  /** Pushes with a bearer token from /v2/auth, as docker does in token mode. */
  class Pusher extends RegistryClient {
    token = "";
    override fetch(path: string, init: RequestInit = {}): Promise<Response> {
      const headers = new Headers(init.headers);
      headers.set("Authorization", `Bearer ${this.token}`);
      return super.fetch(path, { ...init, headers });
    }
  }

  test("notifications added, reset and deleted; labels added and deleted", async () => {
    const alice = await as("alice");
    const name = `r${uniq()}`;
    const repo = `alice/${name}`;
    await expectJson(await alice.post("/api/v1/repository", { repository: name, visibility: "private", description: "" }), 201);
    const pusher = new Pusher(server.url);
    pusher.token = await registryToken(server.url, ["alice", PASSWORDS.alice], `repository:${repo}:pull,push`);
    const image = await pusher.pushImage(repo, "v1");

    const labels = `/api/v1/repository/${repo}/manifest/${image.digest}/labels`;
    const { label } = await expectJson(await alice.post(labels, { key: "env", value: "prod", media_type: "text/plain" }), 201);
    expect((await alice.delete(`${labels}/${label.id}`)).status).toBe(204);

    // Created after the push, so no delivery is ever attempted.
    const notifications = `/api/v1/repository/${repo}/notification/`;
    const hook = { event: "repo_push", method: "webhook", config: { url: "https://hooks.example.com/berth" }, eventConfig: {} };
    const created = await expectJson(await alice.post(notifications, hook), 201);
    expect((await alice.post(`${notifications}${created.uuid}`)).status).toBe(204);
    expect((await alice.delete(`${notifications}${created.uuid}`)).status).toBe(204);

    const logs = await logsAt(alice, `/api/v1/repository/${repo}/logs`);
    const where = { repo: name, namespace: "alice" };
    const labelKeys = { id: label.id, key: "env", value: "prod", manifest_digest: image.digest, ...where };
    expect(logs).toContainEqual(entry("manifest_label_add", "alice", { ...labelKeys, media_type: "text/plain" }));
    expect(logs).toContainEqual(entry("manifest_label_delete", "alice", labelKeys));
    const notificationKeys = { notification_id: created.uuid, event: "repo_push", method: "webhook", ...where };
    expect(logs).toContainEqual(entry("add_repo_notification", "alice", notificationKeys));
    expect(logs).toContainEqual(entry("reset_repo_notification", "alice", notificationKeys));
    expect(logs[0]).toEqual(entry("delete_repo_notification", "alice", notificationKeys));
  });
});
