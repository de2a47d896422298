// API v1 repository notifications (reference quay-api.md §2.13): a webhook created over HTTP
// receives Quay's repo_push payload after a tagged /v2 push, the test endpoint sends the sample,
// failures can be reset, and only repository admins may touch any of it. The receiver listens
// on loopback, so the server runs with notificationAllowLoopback on (others show the default, a
// name whose address changes after creation, and one namespace flooding a stuck receiver).
import { afterAll, beforeAll, describe, expect, test } from "bun:test";
import type { Stores } from "../../src/store";
import { eventually } from "../support/eventually";
import { BearerRegistryClient, RegistryClient } from "../support/registryClient";
import { createUsers, startTestServer, type TestServer } from "../support/server";
import { WebhookReceiver } from "../support/webhookReceiver";
import { expectCsrfError, expectJson, expectProblem, signedIn, V1Client } from "../support/v1Client";
import { worldForFile } from "../support/world";

const PASSWORDS = { alice: "alice-Secret-1", bob: "bob-Secret-1" } as const;

const world = worldForFile({ config: { notificationAllowLoopback: "true" }, users: PASSWORDS, sessions: ["alice", "bob"] });
let server: TestServer;
let stores: Stores;
let registry: RegistryClient;
let receiver: WebhookReceiver;
let alice: V1Client;
let bob: V1Client;
let anon: V1Client;
beforeAll(() => {
  receiver = new WebhookReceiver();
  ({ server, stores, registry, anon } = world);
  [alice, bob] = [world.session("alice"), world.session("bob")];
});
afterAll(() => receiver?.stop());

let counter = 0;
async function create(): Promise<string> {
  const name = `n${++counter}-${crypto.randomUUID().slice(0, 6)}`;
  await expectJson(await alice.post("/api/v1/repository", { repository: name, visibility: "private", description: "" }), 201);
  return `alice/${name}`;
}

const listPath = (repo: string) => `/api/v1/repository/${repo}/notification/`;
const onePath = (repo: string, uuid: string) => `/api/v1/repository/${repo}/notification/${uuid}`;
const webhook = (url: string, extra: Record<string, unknown> = {}) => ({ event: "repo_push", method: "webhook", config: { url }, eventConfig: {}, title: "CI", ...extra });

describe("repository notifications", () => {
  test("create a webhook, read it back, and a tagged push delivers Quay's repo_push payload", async () => {
    const repo = await create();
    const hook = receiver.hook();
    const created = await expectJson(await alice.post(listPath(repo), webhook(hook.url)), 201);
    expect(created).toEqual({
      uuid: expect.any(String),
      title: "CI",
      event: "repo_push",
      method: "webhook",
      config: { url: hook.url },
      event_config: {},
      number_of_failures: 0,
    });
    expect(await expectJson(await alice.get(listPath(repo)), 200)).toEqual({ notifications: [created] });
    expect(await expectJson(await alice.get(onePath(repo, created.uuid)), 200)).toEqual(created);

    await registry.pushImage(repo, "v1");
    const [body] = await eventually(() => (receiver.of(hook.path).length ? receiver.of(hook.path) : undefined));
    const host = new URL(server.url).host;
    expect(body).toEqual({
      repository: repo,
      namespace: "alice",
      name: repo.slice("alice/".length),
      docker_url: `${host}/${repo}`,
      homepage: `http://${host}/repository/${repo}`,
      updated_tags: ["v1"],
    });
  });

  test("the test endpoint sends the event's sample data", async () => {
    const repo = await create();
    const hook = receiver.hook();
    const { uuid } = await expectJson(await alice.post(listPath(repo), webhook(hook.url)), 201);
    expect(await expectJson(await alice.post(`${onePath(repo, uuid)}/test`), 200)).toEqual({});
    const [body] = await eventually(() => (receiver.of(hook.path).length ? receiver.of(hook.path) : undefined));
    expect(body).toMatchObject({ repository: repo, updated_tags: ["latest", "foo"], pruned_image_count: 3 });
  });

  test("reset clears the failure count; delete removes the notification", async () => {
    const repo = await create();
    const { uuid } = await expectJson(await alice.post(listPath(repo), webhook(receiver.hook().url)), 201);
    // A delivery given up counts one failure.
    const row = (await stores.notifications.get((await stores.repositories.find(repo))!.id, uuid))!;
    await stores.notifications.giveUp(await stores.notifications.enqueue(row.id, "{}", Date.now() + 3_600_000));
    expect((await expectJson(await alice.get(onePath(repo, uuid)), 200)).number_of_failures).toBe(1);
    expect((await alice.post(onePath(repo, uuid))).status).toBe(204);
    expect((await expectJson(await alice.get(onePath(repo, uuid)), 200)).number_of_failures).toBe(0);

    expect((await alice.delete(onePath(repo, uuid))).status).toBe(204);
    await expectProblem(await alice.get(onePath(repo, uuid)), 404, "not_found");
    const missing = `No repository notification found for: alice, ${repo.slice("alice/".length)}, ${uuid}`;
    await expectProblem(await alice.delete(onePath(repo, uuid)), 400, "invalid_request", missing);
    await expectProblem(await alice.post(onePath(repo, uuid)), 400, "invalid_request", missing);
    await expectProblem(await alice.post(`${onePath(repo, uuid)}/test`), 400, "invalid_request", missing);
  });

  test("a notification of another repository is not found through this one", async () => {
    const [a, b] = [await create(), await create()];
    const { uuid } = await expectJson(await alice.post(listPath(a), webhook(receiver.hook().url)), 201);
    await expectProblem(await alice.get(onePath(b, uuid)), 404, "not_found");
  });

  test("bad bodies are 400s naming the field", async () => {
    const repo = await create();
    const url = receiver.hook().url;
    const field = async (json: unknown) => (await expectProblem(await alice.post(listPath(repo), json), 400, "invalid_request")).field;
    expect(await field(webhook(url, { event: "repo_exploded" }))).toBe("event");
    expect(await field(webhook(url, { method: "email", config: { email: "a@example.com" } }))).toBe("method");
    expect(await field(webhook(url, { config: {} }))).toBe("config.url");
    expect(await field({ event: "repo_push", method: "webhook", config: { url } })).toBe("eventConfig");
    expect(await field(webhook(url, { title: 5 }))).toBe("title");
    expect((await expectJson(await alice.get(listPath(repo)), 200)).notifications).toEqual([]);
  });

  test("repository admins only: 401 anonymous, 403 without admin (write is not enough)", async () => {
    const repo = await create();
    const { uuid } = await expectJson(await alice.post(listPath(repo), webhook(receiver.hook().url)), 201);
    await expectProblem(await anon.get(listPath(repo)), 401, "invalid_token");
    await expectProblem(await anon.post(listPath(repo), webhook(receiver.hook().url)), 401, "invalid_token");
    await expectProblem(await bob.get(listPath(repo)), 403, "insufficient_scope");
    await expectJson(await alice.put(`/api/v1/repository/${repo}/permissions/user/bob`, { role: "write" }), 200);
    await expectProblem(await bob.get(onePath(repo, uuid)), 403, "insufficient_scope");
    await expectProblem(await bob.post(listPath(repo), webhook(receiver.hook().url)), 403, "insufficient_scope");
    await expectProblem(await bob.delete(onePath(repo, uuid)), 403, "insufficient_scope");
    await expectProblem(await bob.post(`${onePath(repo, uuid)}/test`), 403, "insufficient_scope");
  });

  test("CSRF: a cookie write without the token is refused", async () => {
    const repo = await create();
    await expectCsrfError(await alice.post(listPath(repo), webhook(receiver.hook().url), { csrf: false }));
  });
});

describe("by default", () => {
  test("webhooks to loopback addresses are refused", async () => {
    const strict = await startTestServer({}, { adminPassword: "admin-Secret-1" });
    try {
      const admin = await signedIn(strict.url, "admin", "admin-Secret-1");
      await expectJson(await admin.post("/api/v1/repository", { repository: "app", visibility: "private", description: "" }), 201);
      const body = await expectProblem(await admin.post(listPath("admin/app"), webhook("http://127.0.0.1:9/hook")), 400, "invalid_request", /loopback/);
      expect(body.field).toBe("config.url");
    } finally {
      await strict.stop();
    }
  });
});

describe("test notifications", () => {
  test("with a forged Host, the sample still names the registry by its own address", async () => {
    const repo = await create();
    const hook = receiver.hook();
    const { uuid } = await expectJson(await alice.post(listPath(repo), webhook(hook.url)), 201);
    expect(await expectJson(await alice.post(`${onePath(repo, uuid)}/test`, undefined, { headers: { host: "evil.example" } }), 200)).toEqual({});
    const [body] = await eventually(() => (receiver.of(hook.path).length ? receiver.of(hook.path) : undefined));
    const own = new URL(server.url).host;
    expect(body).toMatchObject({ docker_url: `${own}/${repo}`, homepage: `http://${own}/repository/${repo}` });
  });
});

describe("DNS rebinding", () => {
  test("a name accepted at creation that resolves to loopback by the time of sending is refused then", async () => {
    const names: Record<string, string[]> = {};
    const resolve = async (h: string) => names[h] ?? Promise.reject(new Error(`ENOTFOUND ${h}`));
    // No loopback allowance; retries an hour apart, so a failure counted at once is a refusal.
    const strict = await startTestServer({}, { adminPassword: "admin-Secret-1", notify: { retryDelaysMs: [3_600_000], resolve } });
    try {
      const admin = await signedIn(strict.url, "admin", "admin-Secret-1");
      await expectJson(await admin.post("/api/v1/repository", { repository: "app", visibility: "private", description: "" }), 201);
      const hook = receiver.hook();
      // When created the name points somewhere public (it is a name: accepted, judged when sending)…
      names["ci.rebind.test"] = ["93.184.216.34"];
      const url = `http://ci.rebind.test:${new URL(hook.url).port}${hook.path}`;
      const { uuid } = await expectJson(await admin.post(listPath("admin/app"), webhook(url)), 201);
      // … and by the push it points at this host.
      names["ci.rebind.test"] = ["127.0.0.1"];
      await new RegistryClient(strict.url).pushImage("admin/app", "latest");
      const repoId = (await strict.server.ctx.stores.repositories.find("admin/app"))!.id;
      await eventually(async () => ((await strict.server.ctx.stores.notifications.get(repoId, uuid))!.numberOfFailures === 1 ? true : undefined));
      expect((await expectJson(await admin.get(onePath("admin/app", uuid)), 200)).number_of_failures).toBe(1);
      expect(receiver.of(hook.path)).toHaveLength(0);
    } finally {
      await strict.stop();
    }
  });
});

describe("fairness between namespaces", () => {
  test("one namespace flooding a receiver that never answers does not hold up another namespace's push", async () => {
    // Never answers: accepts the connection and reads, but writes nothing back.
    const silent = Bun.listen({ hostname: "127.0.0.1", port: 0, socket: { data() {} } });
    // As in the report: 4 sends at a time; a send waits up to 5 s (the default is 10 s); retries far off.
    const flooded = await startTestServer(
      { notificationAllowLoopback: "true" },
      { notify: { concurrency: 4, timeoutMs: 5_000, retryDelaysMs: [3_600_000], testLimit: { burst: 10, refillMs: 3_600_000 } } },
    );
    try {
      const st = flooded.server.ctx.stores;
      await createUsers(st, PASSWORDS);
      const [a, b] = [await signedIn(flooded.url, "alice", PASSWORDS.alice), await signedIn(flooded.url, "bob", PASSWORDS.bob)];
      await expectJson(await a.post("/api/v1/repository", { repository: "flood", visibility: "private", description: "" }), 201);
      await expectJson(await b.post("/api/v1/repository", { repository: "app", visibility: "private", description: "" }), 201);
      const stuck = await expectJson(await a.post(listPath("alice/flood"), webhook(`http://127.0.0.1:${silent.port}/hook`)), 201);
      const hook = receiver.hook();
      await expectJson(await b.post(listPath("bob/app"), webhook(hook.url)), 201);

      const statuses: number[] = [];
      for (let i = 0; i < 40; i++) {
        const res = await a.post(`${onePath("alice/flood", stuck.uuid)}/test`);
        statuses.push(res.status);
        if (res.status === 429) {
          expect(Number(res.headers.get("retry-after"))).toBeGreaterThan(0);
          await expectProblem(res, 429, "too_many_requests");
        } else await res.text();
      }
      expect(statuses.filter((s) => s === 200)).toHaveLength(10);
      expect(statuses.filter((s) => s === 429)).toHaveLength(30);

      const pushed = Date.now();
      await new RegistryClient(flooded.url).pushImage("bob/app", "v1");
      await eventually(() => (receiver.of(hook.path).length ? true : undefined), 2_500);
      // Well before the first stuck send times out (5 s), let alone the backlog (10 sends / 4 slots).
      expect(Date.now() - pushed).toBeLessThan(2_500);
      expect(flooded.server.ctx.notify.worker.busy).toBe(2);
    } finally {
      await flooded.stop();
      silent.stop(true);
    }
  });
});
