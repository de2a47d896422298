// Usage logs over API v1 (reference quay-api.md §2.11): what a repository's, a user's, an
// organization's and the superuser's listings show, their time window, 20-entry pages with
// next_page, the performer filter, aggregate counts, and who may read them.
import { beforeAll, describe, expect, test } from "bun:test";
import { logWindow } from "../../src/v1/logs";
import { BearerRegistryClient, registryToken } from "../support/registryClient";
import type { TestServer } from "../support/server";
import { expectJson, expectProblem, signedIn, V1Client } from "../support/v1Client";
import { worldForFile } from "../support/world";

const PASSWORDS = { lena: "lena-Secret-1", omar: "omar-Secret-1", rita: "rita-Secret-1" } as const;
const ADMIN = "admin-Logs-pw-1";

const world = worldForFile({ config: { auth: "token", readonlySuperusers: "rita" }, server: { adminPassword: ADMIN }, users: PASSWORDS, sessions: ["lena", "omar"] });
let server: TestServer;
let lena: V1Client;
let omar: V1Client;
beforeAll(() => {
  ({ server } = world);
  [lena, omar] = [world.session("lena"), world.session("omar")];
});

const uniq = () => crypto.randomUUID().slice(0, 8);

async function repoOf(client: V1Client, owner: string): Promise<string> {
  const name = `r${uniq()}`;
  await expectJson(await client.post("/api/v1/repository", { repository: name, visibility: "private", description: "" }), 201);
  return `${owner}/${name}`;
}

describe("logWindow (Quay's starttime/endtime)", () => {
  const now = Date.UTC(2026, 10, 29, 15, 0, 0);
  test.each<[Record<string, string>, { startMs: number; endMs: number } | string]>([
    [{}, { startMs: now - 86_400_000, endMs: now + 1 }],
    [{ starttime: "11/01/2026" }, { startMs: Date.UTC(2026, 10, 1), endMs: now + 1 }],
    [{ starttime: "11/01/2026", endtime: "11/02/2026" }, { startMs: Date.UTC(2026, 10, 1), endMs: Date.UTC(2026, 10, 3) }],
    [{ starttime: "1/5/2026", endtime: "1/5/2026" }, { startMs: Date.UTC(2026, 0, 5), endMs: Date.UTC(2026, 0, 6) }],
    [{ starttime: "11/10/2026", endtime: "11/02/2026" }, "Invalid time range"],
    [{ starttime: "2026-11-01" }, "starttime"],
    [{ endtime: "02/30/2026" }, "endtime"],
  ])("%p → %p", (query, expected) => {
    if (typeof expected === "string") expect(() => logWindow(query, now)).toThrow(expected);
    else expect(logWindow(query, now)).toEqual(expected);
  });
});

describe("GET /api/v1/repository/<repo>/logs", () => {
  test("a repository's writes, newest first, with performer, metadata, ip and RFC 2822 dates", async () => {
    const repo = await repoOf(lena, "lena");
    await expectJson(await lena.put(`/api/v1/repository/${repo}`, { description: "first" }), 200);
    await expectJson(await lena.post(`/api/v1/repository/${repo}/changevisibility`, { visibility: "public" }), 200);
    const body = await expectJson(await lena.get(`/api/v1/repository/${repo}/logs`), 200);
    expect(body.start_time).toMatch(/-0000$/);
    expect(body.end_time).toMatch(/-0000$/);
    expect(body.next_page).toBeUndefined();
    expect(body.logs.map((l: any) => l.kind)).toEqual(["change_repo_visibility", "set_repo_description", "create_repo"]);
    const [visibility] = body.logs;
    expect(visibility).toEqual({
      kind: "change_repo_visibility",
      metadata: { repo: repo.slice("lena/".length), namespace: "lena", username: "lena", visibility: "public" },
      ip: "127.0.0.1",
      datetime: expect.stringMatching(/^\w{3}, \d{2} \w{3} \d{4} \d{2}:\d{2}:\d{2} -0000$/),
      performer: { kind: "user", name: "lena", is_robot: false, avatar: expect.objectContaining({ name: "lena", kind: "user" }) },
    });
    expect(visibility.namespace).toBeUndefined(); // only the superuser's listing names the namespace
  });

  test("pushes and pulls over /v2 appear too", async () => {
    const repo = await repoOf(lena, "lena");
    const client = new BearerRegistryClient(server.url, await registryToken(server.url, ["lena", PASSWORDS.lena], `repository:${repo}:pull,push`));
    const image = await client.pushImage(repo, "v1", { layers: 1, layerSize: 64 });
    const pulled = await client.fetch(`/v2/${repo}/manifests/v1`, { headers: { Accept: image.mediaType } });
    expect(pulled.status).toBe(200);
    await pulled.arrayBuffer();
    const kinds = (await expectJson(await lena.get(`/api/v1/repository/${repo}/logs`), 200)).logs.map((l: any) => l.kind);
    expect(kinds.slice(0, 2)).toEqual(["pull_repo", "push_repo"]);
  });

  test("20 a page with next_page, no duplicates or gaps", async () => {
    const repo = await repoOf(lena, "lena");
    for (let i = 0; i < 24; i++) await expectJson(await lena.put(`/api/v1/repository/${repo}`, { description: `d${i}` }), 200);
    const first = await expectJson(await lena.get(`/api/v1/repository/${repo}/logs`), 200);
    expect(first.logs).toHaveLength(20);
    expect(first.next_page).toEqual(expect.any(String));
    const second = await expectJson(await lena.get(`/api/v1/repository/${repo}/logs?next_page=${encodeURIComponent(first.next_page)}`), 200);
    expect(second.logs).toHaveLength(5); // 24 descriptions + create_repo
    expect(second.next_page).toBeUndefined();
    const descriptions = [...first.logs, ...second.logs].filter((l: any) => l.kind === "set_repo_description").map((l: any) => l.metadata.description);
    expect(descriptions).toEqual(Array.from({ length: 24 }, (_, i) => `d${23 - i}`));
    // A garbled cursor is the first page again, as in Quay.
    expect((await expectJson(await lena.get(`/api/v1/repository/${repo}/logs?next_page=garbage`), 200)).logs).toEqual(first.logs);
  });

  test("a window before the writes is empty; a bad date is 400 naming the field", async () => {
    const repo = await repoOf(lena, "lena");
    expect((await expectJson(await lena.get(`/api/v1/repository/${repo}/logs?starttime=01/01/2020&endtime=01/02/2020`), 200)).logs).toEqual([]);
    expect((await expectProblem(await lena.get(`/api/v1/repository/${repo}/logs?starttime=yesterday`), 400, "invalid_request")).field).toBe("starttime");
  });

  test("admins only: 401 anonymous, 403 for a writer; a read-only superuser may read", async () => {
    const repo = await repoOf(lena, "lena");
    await expectJson(await lena.put(`/api/v1/repository/${repo}/permissions/user/omar`, { role: "write" }), 200);
    await expectProblem(await new V1Client(server.url).get(`/api/v1/repository/${repo}/logs`), 401, "invalid_token");
    await expectProblem(await omar.get(`/api/v1/repository/${repo}/logs`), 403, "insufficient_scope");
    const rita = await signedIn(server.url, "rita", PASSWORDS.rita);
    expect((await expectJson(await rita.get(`/api/v1/repository/${repo}/logs`), 200)).logs.length).toBeGreaterThan(0);
  });
});

describe("organization, user and superuser logs", () => {
  test("an org's logs hold its team and robot work, filterable by performer; aggregate counts by kind and day", async () => {
    const org = `o${uniq()}`;
    await expectJson(await lena.post("/api/v1/organization/", { name: org }), 201);
    await expectJson(await lena.put(`/api/v1/organization/${org}/team/devs`, { role: "member" }), 200);
    await expectJson(await lena.put(`/api/v1/organization/${org}/team/devs/members/omar`), 200);
    await expectJson(await lena.put(`/api/v1/organization/${org}/robots/ci`), 201);
    const kinds = (await expectJson(await lena.get(`/api/v1/organization/${org}/logs`), 200)).logs.map((l: any) => l.kind);
    expect(kinds).toEqual(["create_robot", "org_add_team_member", "org_create_team", "org_create"]);
    expect((await expectJson(await lena.get(`/api/v1/organization/${org}/logs?performer=omar`), 200)).logs).toEqual([]);
    expect((await expectJson(await lena.get(`/api/v1/organization/${org}/logs?performer=lena`), 200)).logs).toHaveLength(4);
    const aggregated = (await expectJson(await lena.get(`/api/v1/organization/${org}/aggregatelogs`), 200)).aggregated;
    expect(aggregated.map((a: any) => [a.kind, a.count]).sort()).toEqual([
      ["create_robot", 1],
      ["org_add_team_member", 1],
      ["org_create", 1],
      ["org_create_team", 1],
    ]);
    expect(aggregated[0].datetime).toMatch(/00:00:00 -0000$/);
    // A member who is not an admin may not read them.
    await expectProblem(await omar.get(`/api/v1/organization/${org}/logs`), 403, "insufficient_scope");
  });

  test("a user's logs are their namespace's", async () => {
    const repo = await repoOf(omar, "omar");
    const logs = (await expectJson(await omar.get("/api/v1/user/logs"), 200)).logs;
    expect(logs.some((l: any) => l.kind === "create_repo" && l.metadata.repo === repo.slice("omar/".length))).toBe(true);
    expect(logs.every((l: any) => !l.kind.startsWith("service_key_"))).toBe(true);
    await expectProblem(await new V1Client(server.url).get("/api/v1/user/logs"), 401, "invalid_token");
  });

  test("superusers see every namespace's entries with the namespace named; others are refused", async () => {
    const repo = await repoOf(lena, "lena");
    const admin = await signedIn(server.url, "admin", ADMIN);
    const body = await expectJson(await admin.get("/api/v1/superuser/logs"), 200);
    const entry = body.logs.find((l: any) => l.kind === "create_repo" && l.metadata.repo === repo.slice("lena/".length));
    expect(entry.namespace).toEqual({ kind: "user", name: "lena", avatar: expect.objectContaining({ name: "lena" }) });
    expect((await expectJson(await admin.get("/api/v1/superuser/aggregatelogs"), 200)).aggregated.length).toBeGreaterThan(0);
    await expectProblem(await lena.get("/api/v1/superuser/logs"), 403, "insufficient_scope");
  });
});
