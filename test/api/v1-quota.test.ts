// API v1 namespace quotas in process (Quay's endpoints/api/namespacequota.py and its superuser
// quota endpoints): an organization's quota and Warning/Reject limits, read by members, set by
// superusers with full access; a user's own quota; the superuser panel's; each family's 401, 403,
// 400 naming the field, CSRF, audit entries; and the quota fields of the namespace views.
import { beforeAll, describe, expect, test } from "bun:test";
import type { Stores } from "../../src/store";
import { withStaleLogins } from "../support/clock";
import type { TestServer } from "../support/server";
import { expectCsrfError, expectJson, expectProblem, signedIn, V1Client } from "../support/v1Client";
import { worldForFile } from "../support/world";

const ADMIN_PASSWORD = "admin-Secret-1";
const PASSWORDS = { olivia: "olivia-Secret-1", max: "max-Secret-1", nora: "nora-Secret-1", auditor: "auditor-Secret-1" } as const;
const GiB = 1024 ** 3;

const world = worldForFile({ config: { auth: "token", readonlySuperusers: "auditor" }, server: { adminPassword: ADMIN_PASSWORD }, users: PASSWORDS });
let server: TestServer;
let stores: Stores;
let anon: V1Client;
beforeAll(() => ({ server, stores, anon } = world));

const admin = () => signedIn(server.url, "admin", ADMIN_PASSWORD);
const as = (name: keyof typeof PASSWORDS) => signedIn(server.url, name, PASSWORDS[name]);
const uniq = () => crypto.randomUUID().slice(0, 8);

/** A new org owned by olivia, with max in a member team and nora outside. */
async function newOrg(): Promise<string> {
  const org = `q-${uniq()}`;
  expect((await (await as("olivia")).post("/api/v1/organization/", { name: org })).status).toBe(201);
  const ns = (await stores.orgs.namespace(org))!.id;
  await stores.teams.addMember(await stores.teams.setTeam(ns, "devs", "member"), { userId: (await stores.users.byName("max"))!.id });
  return org;
}

/** The org with a quota of `bytes` made by the superuser; answers its id. */
async function withQuota(org: string, bytes = GiB): Promise<number> {
  const su = await admin();
  expect(await expectJson(await su.post(`/api/v1/organization/${org}/quota`, { limit_bytes: bytes }), 201)).toBe("Created");
  return (await expectJson(await su.get(`/api/v1/organization/${org}/quota`), 200))[0].id;
}

const REPORT_NOTHING = { quota_bytes: 0, configured_quota: null, running_backfill: "complete", backfill_status: "complete" };

describe("an organization's quota and limits", () => {
  test("a superuser sets them; members read them in Quay's shapes; each change is logged with Quay's kind", async () => {
    const org = await newOrg();
    const su = await admin();
    const max = await as("max");
    expect(await expectJson(await max.get(`/api/v1/organization/${org}/quota`), 200)).toEqual([]);
    const id = await withQuota(org, 10 * GiB);
    const base = `/api/v1/organization/${org}/quota/${id}`;
    expect(await expectJson(await max.get(`/api/v1/organization/${org}/quota`), 200)).toEqual([
      { id, limit_bytes: 10 * GiB, limit: "10.0 GiB", default_config: false, limits: [], default_config_exists: false },
    ]);
    expect(await expectJson(await su.post(`${base}/limit`, { type: "Warning", threshold_percent: 80 }), 201)).toBe("Created");
    // The type in any case, as Quay reads it.
    expect((await su.post(`${base}/limit`, { type: "reject", threshold_percent: 100 })).status).toBe(201);
    const limits = await expectJson(await max.get(`${base}/limit`), 200);
    expect(limits).toEqual([
      { id: expect.any(Number), type: "Warning", limit_percent: 80 },
      { id: expect.any(Number), type: "Reject", limit_percent: 100 },
    ]);
    expect(await expectJson(await max.get(`${base}/limit/${limits[0].id}`), 200)).toEqual(limits[0]);
    // A human size; the answer is the quota.
    const changed = await expectJson(await su.put(base, { limit: "2 GiB" }), 200);
    expect(changed).toMatchObject({ id, limit_bytes: 2 * GiB, limit: "2.0 GiB", limits });
    expect(await expectJson(await su.put(base, { limit: "5G" }), 200)).toMatchObject({ limit_bytes: 5_000_000_000, limit: "4.7 GiB" });
    // Nothing asked, nothing changed (Quay's third schema).
    expect(await expectJson(await su.put(base, {}), 200)).toMatchObject({ limit_bytes: 5_000_000_000 });
    const moved = await expectJson(await su.put(`${base}/limit/${limits[0].id}`, { threshold_percent: 90 }), 200);
    expect(moved.limits[0]).toEqual({ id: limits[0].id, type: "Warning", limit_percent: 90 });
    expect((await su.delete(`${base}/limit/${limits[0].id}`)).status).toBe(204);
    expect((await max.get(`${base}/limit/${limits[0].id}`)).status).toBe(404);
    expect((await su.delete(base)).status).toBe(204);
    expect(await expectJson(await max.get(`/api/v1/organization/${org}/quota`), 200)).toEqual([]);

    const logs = (await expectJson(await (await as("olivia")).get(`/api/v1/organization/${org}/logs`), 200)).logs as any[];
    const kinds = logs.map((l) => l.kind);
    for (const kind of ["org_create_quota", "org_change_quota", "org_create_quota_limit", "org_change_quota_limit", "org_delete_quota_limit", "org_delete_quota"]) expect(kinds).toContain(kind);
    const made = logs.find((l) => l.kind === "org_create_quota");
    expect(made.metadata).toMatchObject({ namespace: org, limit_bytes: 10 * GiB, limit: "10.0 GiB" });
    expect(made.performer).toMatchObject({ name: "admin" });
    expect(logs.find((l) => l.kind === "org_change_quota_limit").metadata).toMatchObject({ type: "Warning", threshold_percent: 90, previous_type: "Warning", previous_threshold_percent: 80 });
    expect(logs.find((l) => l.kind === "org_change_quota" && l.metadata.limit_bytes === 2 * GiB).metadata).toMatchObject({ previous_limit_bytes: 10 * GiB, previous_limit: "10.0 GiB" });
  });

  test("401 anonymous, 403 for outsiders; only superusers with full access write (not the org's own admins, not read-only superusers)", async () => {
    const org = await newOrg();
    const id = await withQuota(org);
    const base = `/api/v1/organization/${org}/quota`;
    for (const path of [base, `${base}/${id}`, `${base}/${id}/limit`]) {
      await expectProblem(await anon.get(path), 401, "invalid_token");
      await expectProblem(await (await as("nora")).get(path), 403, "insufficient_scope");
      expect((await (await as("auditor")).get(path)).status).toBe(200);
      expect((await (await as("olivia")).get(path)).status).toBe(200);
    }
    for (const who of ["olivia", "max", "auditor"] as const) {
      const c = await as(who);
      await expectProblem(await c.post(`${base}/${id}/limit`, { type: "Reject", threshold_percent: 100 }), 403, "insufficient_scope");
      await expectProblem(await c.put(`${base}/${id}`, { limit_bytes: 5 }), 403, "insufficient_scope");
      await expectProblem(await c.delete(`${base}/${id}`), 403, "insufficient_scope");
    }
    await expectProblem(await anon.post(base, { limit_bytes: 5 }), 401, "invalid_token");
    expect(await stores.quotas.ofNamespace((await stores.orgs.namespace(org))!.id)).toMatchObject({ limitBytes: GiB, limits: [] });
  });

  test("400 naming the field; 404 for unknown organizations, quotas and limits", async () => {
    const org = await newOrg();
    const su = await admin();
    const base = `/api/v1/organization/${org}/quota`;
    const bad = async (path: string, body: unknown, field: string, detail?: string | RegExp, method = "POST") => {
      const res = await su.fetch(path, { method, json: body });
      expect((await expectProblem(res, 400, "invalid_request", detail)).field).toBe(field);
    };
    await bad(base, {}, "limit_bytes");
    await bad(base, { limit_bytes: "10" }, "limit_bytes");
    await bad(base, { limit: "ten gigs" }, "limit");
    await bad(base, { limit_bytes: 10, limit: "10 GiB" }, "limit");
    await bad(base, { limit_bytes: 0 }, "limit_bytes", "Invalid quota size limit value: '0'");
    await bad(base, { limit_bytes: -5 }, "limit_bytes", "Invalid quota size limit value: '-5'");
    await bad(base, { limit: "99999999 PiB" }, "limit", "Unsupported quota size limit.");
    await bad(base, { limit: "0 GiB" }, "limit", "Invalid quota size limit value: '0'");
    const id = await withQuota(org);
    const again = await expectProblem(await su.post(base, { limit_bytes: 5 }), 400, "invalid_request");
    expect(again.detail).toBe(`Organization quota for '${org}' already exists`);
    await bad(`${base}/${id}`, { limit_bytes: 5, extra: true }, "extra", undefined, "PUT");
    await bad(`${base}/${id}/limit`, { type: "Info", threshold_percent: 50 }, "type", "Quota type must be one of [Warning, Reject]");
    await bad(`${base}/${id}/limit`, { type: "Warning", threshold_percent: 0 }, "threshold_percent", "Quota limit threshold must be between 1 and 100");
    await bad(`${base}/${id}/limit`, { type: "Warning", threshold_percent: 101 }, "threshold_percent");
    await bad(`${base}/${id}/limit`, { type: "Warning" }, "threshold_percent");
    expect((await su.post(`${base}/${id}/limit`, { type: "Warning", threshold_percent: 70 })).status).toBe(201);
    expect((await expectProblem(await su.post(`${base}/${id}/limit`, { type: "warning", threshold_percent: 70 }), 400, "invalid_request")).detail).toBe("Quota limit already exists");
    for (const path of [`${base}/${id + 1000}`, `${base}/abc`, `${base}/${id}/limit/999999`, `/api/v1/organization/no-such-${uniq()}/quota`]) {
      await expectProblem(await su.get(path), 404, "not_found");
    }
    // A user namespace is not an organization for listing and creating.
    await expectProblem(await su.post("/api/v1/organization/nora/quota", { limit_bytes: 5 }), 404, "not_found");
  });

  test("CSRF is required of cookie-authenticated writes", async () => {
    const org = await newOrg();
    const su = await admin();
    await expectCsrfError(await su.post(`/api/v1/organization/${org}/quota`, { limit_bytes: GiB }, { csrf: false }));
    const id = await withQuota(org);
    await expectCsrfError(await su.post(`/api/v1/organization/${org}/quota/${id}/limit`, { type: "Reject", threshold_percent: 100 }, { csrf: false }));
    await expectCsrfError(await su.delete(`/api/v1/organization/${org}/quota/${id}`, { csrf: "forged" }));
    expect((await stores.quotas.ofNamespace((await stores.orgs.namespace(org))!.id))?.limits).toEqual([]);
  });
});

describe("a user's own quota", () => {
  test("set by a superuser (panel, and limits under /organization/<user>/quota/<id> as Quay's web client does); read by the user", async () => {
    const su = await admin();
    expect(await expectJson(await su.post("/api/v1/superuser/users/max/quota", { limit: "1 GiB" }), 201)).toBe("Created");
    const [quota] = await expectJson(await su.get("/api/v1/superuser/users/max/quota"), 200);
    expect(quota).toMatchObject({ limit_bytes: GiB, limit: "1.0 GiB", limits: [] });
    expect((await su.post(`/api/v1/organization/max/quota/${quota.id}/limit`, { type: "Reject", threshold_percent: 100 })).status).toBe(201);
    const max = await as("max");
    const mine = await expectJson(await max.get("/api/v1/user/quota"), 200);
    expect(mine).toEqual([{ ...quota, limits: [{ id: expect.any(Number), type: "Reject", limit_percent: 100 }] }]);
    expect(await expectJson(await max.get(`/api/v1/user/quota/${quota.id}`), 200)).toEqual(mine[0]);
    const limits = await expectJson(await max.get(`/api/v1/user/quota/${quota.id}/limit`), 200);
    expect(limits).toEqual(mine[0].limits);
    // Quay answers getUserQuotaLimit with the quota.
    expect(await expectJson(await max.get(`/api/v1/user/quota/${quota.id}/limit/${limits[0].id}`), 200)).toEqual(mine[0]);
    await expectProblem(await max.get(`/api/v1/user/quota/${quota.id}/limit/0`), 404, "not_found");
    expect(await expectJson(await (await as("nora")).get("/api/v1/user/quota"), 200)).toEqual([]);
    await expectProblem(await (await as("nora")).get(`/api/v1/user/quota/${quota.id}`), 404, "not_found");
    await expectProblem(await anon.get("/api/v1/user/quota"), 401, "invalid_token");
    // The user's own view carries the quota too.
    expect(await expectJson(await max.get("/api/v1/user/"), 200)).toMatchObject({
      quotas: [{ id: quota.id, limit_bytes: GiB, limits }],
      quota_report: { ...REPORT_NOTHING, configured_quota: GiB },
    });
  });
});

describe("the superuser panel's quotas", () => {
  test("either path, users and organizations alike; read-only superusers read; fresh login except to delete; no audit entry (Quay)", async () => {
    const org = await newOrg();
    const su = await admin();
    const paths = [`/api/v1/superuser/organization/${org}/quota`, "/api/v1/superuser/users/nora/quota"];
    for (const path of paths) {
      expect(await expectJson(await su.post(path, { limit_bytes: 1000 }), 201)).toBe("Created");
      const [q] = await expectJson(await (await as("auditor")).get(path), 200);
      expect(q).toMatchObject({ limit_bytes: 1000, limit: "1000.0 Byte" });
      expect((await expectProblem(await su.post(path, { limit_bytes: 5 }), 400, "invalid_request")).detail).toMatch(/^Quota for '.+' already exists$/);
      expect((await expectProblem(await su.post(path, { limit: "lots" }), 400, "invalid_request")).field).toBe("limit");
      expect(await expectJson(await su.put(`${path}/${q.id}`, { limit_bytes: 2000 }), 200)).toMatchObject({ id: q.id, limit_bytes: 2000 });
      await expectProblem(await (await as("auditor")).post(path, { limit_bytes: 5 }), 403, "insufficient_scope");
      await expectProblem(await (await as("olivia")).get(path), 403, "insufficient_scope");
      await expectProblem(await anon.get(path), 401, "invalid_token");
      await expectCsrfError(await su.put(`${path}/${q.id}`, { limit_bytes: 5 }, { csrf: false }));
      const stale = await admin();
      await withStaleLogins(async () => {
        await expectProblem(await stale.get(path), 401, "fresh_login_required");
        await expectProblem(await stale.put(`${path}/${q.id}`, { limit_bytes: 5 }), 401, "fresh_login_required");
        expect((await stale.delete(`${path}/${q.id}`)).status).toBe(204);
      });
      expect(await expectJson(await su.get(path), 200)).toEqual([]);
    }
    await expectProblem(await su.get(`/api/v1/superuser/users/nobody-${uniq()}/quota`), 404, "not_found");
    const ns = (await stores.orgs.namespace(org))!.id;
    await stores.auditWriter.flush();
    const entries = (await stores.auditLog.page({ startMs: 0, endMs: Date.now() + 60_000, namespaceId: ns, kinds: ["org_create_quota", "org_change_quota", "org_delete_quota"] })).entries;
    expect(entries).toEqual([]);
  });
});

describe("quota fields in the namespace views", () => {
  test("the organization's view shows quotas and quota_report to members, not to outsiders", async () => {
    const org = await newOrg();
    const id = await withQuota(org, 5 * GiB);
    const view = await expectJson(await (await as("max")).get(`/api/v1/organization/${org}`), 200);
    expect(view).toMatchObject({ quotas: [{ id, limit_bytes: 5 * GiB, limits: [] }], quota_report: { ...REPORT_NOTHING, configured_quota: 5 * GiB } });
    const outside = await expectJson(await (await as("nora")).get(`/api/v1/organization/${org}`), 200);
    expect(outside.quotas).toBeUndefined();
    expect(outside.quota_report).toBeUndefined();
  });
});
