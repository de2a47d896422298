// Repository notifications end to end: a tagged push over /v2 reaches a webhook receiver (both on
// loopback), with retries, giving up, test notifications, and deliveries that outlive a restart;
// where webhooks may go, checked when sending; payloads that name the registry from its own
// settings. The delivery mechanics are driven through the store here (rows made that way skip the
// API's creation checks, as rows from older versions or names resolved differently would);
// test/api/v1-notification.test.ts covers the routes. The receivers listen on loopback: servers
// that should deliver run with notificationAllowLoopback on, servers that should refuse without it.
import { afterAll, beforeAll, describe, expect, test } from "bun:test";
import { rmSync } from "node:fs";
import { BearerRegistryClient, RegistryClient, repoName } from "../support/registryClient";
import { freePort, startTestServer, tempDir, type TestServer } from "../support/server";
import type { NotificationRow } from "../../src/store/meta/notifications";

interface Hit {
  contentType: string | null;
  body: Record<string, unknown>;
}

/** A webhook receiver: each path answers with its script of statuses (the last one repeats). */
class Receiver {
  readonly hits = new Map<string, Hit[]>();
  /** The Host header of every request, in order. */
  readonly hosts: string[] = [];
  private readonly scripts = new Map<string, number[]>();
  private readonly redirects = new Map<string, string>();
  private readonly server = Bun.serve({
    hostname: "127.0.0.1",
    port: 0,
    fetch: async (req) => {
      const path = new URL(req.url).pathname;
      this.hosts.push(req.headers.get("host") ?? "");
      const list = this.hits.get(path) ?? [];
      list.push({ contentType: req.headers.get("content-type"), body: (await req.json()) as Record<string, unknown> });
      this.hits.set(path, list);
      const to = this.redirects.get(path);
      if (to) return Response.redirect(to, 302);
      const script = this.scripts.get(path) ?? [200];
      return new Response(null, { status: script[Math.min(list.length, script.length) - 1] });
    },
  });

  /** A fresh hook URL answering `statuses` in turn. */
  hook(...statuses: number[]): { url: string; path: string } {
    const path = `/hook/${crypto.randomUUID()}`;
    if (statuses.length) this.scripts.set(path, statuses);
    return { url: `http://127.0.0.1:${this.server.port}${path}`, path };
  }

  /** A fresh hook URL that answers with a redirect to `to`. */
  redirect(to: string): { url: string; path: string } {
    const hook = this.hook();
    this.redirects.set(hook.path, to);
    return hook;
  }

  get port(): number {
    return this.server.port!;
  }

  of(path: string): Hit[] {
    return this.hits.get(path) ?? [];
  }

  stop() {
    this.server.stop(true);
  }
}

async function until(cond: () => boolean | Promise<boolean>, ms = 5_000): Promise<void> {
  const deadline = Date.now() + ms;
  while (!(await cond())) {
    if (Date.now() > deadline) throw new Error("condition not met in time");
    await Bun.sleep(10);
  }
}

let server: TestServer;
let c: RegistryClient;
let receiver: Receiver;

/** Names only this test's resolver knows (no DNS in tests). */
const names: Record<string, string[]> = { "hooks.test": ["127.0.0.1"] };
const resolve = async (host: string) => names[host] ?? Promise.reject(new Error(`ENOTFOUND ${host}`));

beforeAll(async () => {
  receiver = new Receiver();
  // Retries within milliseconds: three retries, then give up.
  server = await startTestServer({ notificationAllowLoopback: "true" }, { notify: { retryDelaysMs: [20, 20, 20], resolve } });
  c = new RegistryClient(server.url);
});
afterAll(async () => {
  await server?.stop();
  receiver?.stop();
});

const stores = () => server.server.ctx.stores;

/** A new repository with a webhook notification on `event`. */
async function repoWithHook(url: string, event = "repo_push"): Promise<{ repo: string; repoId: number; n: NotificationRow }> {
  const repo = repoName("notify");
  const repoId = (await stores().repositories.ensure(repo)).id;
  const n = await stores().notifications.create({ repositoryId: repoId, event, method: "webhook", config: { url }, eventConfig: {}, title: "CI" });
  return { repo, repoId, n };
}

const failuresOf = async (repoId: number, uuid: string) => (await stores().notifications.get(repoId, uuid))!.numberOfFailures;

describe("repo_push webhooks", () => {
  test("a tagged push sends Quay's repo_push payload as JSON", async () => {
    const hook = receiver.hook();
    const { repo } = await repoWithHook(hook.url);
    await c.pushImage(repo, "v1.0");
    await until(() => receiver.of(hook.path).length === 1);
    const [ns, name] = [repo.slice(0, repo.indexOf("/")), repo.slice(repo.indexOf("/") + 1)];
    const host = new URL(server.url).host;
    expect(receiver.of(hook.path)[0]).toEqual({
      contentType: "application/json",
      body: {
        repository: repo,
        namespace: ns,
        name,
        docker_url: `${host}/${repo}`,
        homepage: `http://${host}/repository/${repo}`,
        updated_tags: ["v1.0"],
      },
    });
  });

  test("a push by digest, or to another repository, queues nothing", async () => {
    const hook = receiver.hook();
    const { repo, n } = await repoWithHook(hook.url);
    const other = await repoWithHook(hook.url, "build_success");
    await c.pushImage(repo);
    await c.pushImage(repoName("notify"), "latest");
    await c.pushImage(other.repo, "latest");
    // Deliveries are queued inside the push request, so an empty outbox now means none at all.
    expect(await stores().notifications.pending(n.id)).toEqual([]);
    expect(await stores().notifications.pending(other.n.id)).toEqual([]);
  });

  test("every repo_push notification of the repository gets its own delivery", async () => {
    const a = receiver.hook();
    const b = receiver.hook();
    const { repo, repoId } = await repoWithHook(a.url);
    await stores().notifications.create({ repositoryId: repoId, event: "repo_push", method: "webhook", config: { url: b.url }, eventConfig: {} });
    await c.pushImage(repo, "latest");
    await until(() => receiver.of(a.path).length === 1 && receiver.of(b.path).length === 1);
  });

  test("a receiver answering 500 twice then 200 gets exactly three attempts", async () => {
    const hook = receiver.hook(500, 500, 200);
    const { repo, repoId, n } = await repoWithHook(hook.url);
    await c.pushImage(repo, "latest");
    await until(async () => receiver.of(hook.path).length === 3 && (await stores().notifications.pending(n.id)).length === 0);
    await Bun.sleep(150);
    expect(receiver.of(hook.path)).toHaveLength(3);
    expect(receiver.of(hook.path).map((h) => h.body.updated_tags)).toEqual([["latest"], ["latest"], ["latest"]]);
    expect(await failuresOf(repoId, n.uuid)).toBe(0);
  });

  test("a receiver that always fails is given up after the retries: number_of_failures = 1", async () => {
    const hook = receiver.hook(500);
    const { repo, repoId, n } = await repoWithHook(hook.url);
    await c.pushImage(repo, "latest");
    await until(async () => await failuresOf(repoId, n.uuid) === 1);
    expect(receiver.of(hook.path)).toHaveLength(4);
    expect(await stores().notifications.pending(n.id)).toEqual([]);
  });

  test("an unreachable receiver fails the same way", async () => {
    const { repo, repoId, n } = await repoWithHook(`http://127.0.0.1:${await freePort()}/nobody-listens`);
    await c.pushImage(repo, "latest");
    await until(async () => await failuresOf(repoId, n.uuid) === 1);
  });

  test("a notification disabled by failures queues nothing until its failures are reset", async () => {
    const hook = receiver.hook();
    const { repo, repoId, n } = await repoWithHook(hook.url);
    for (let i = 0; i < 3; i++) await stores().notifications.giveUp(await stores().notifications.enqueue(n.id, "{}", Date.now() + 60_000));
    await c.pushImage(repo, "one");
    expect(await stores().notifications.pending(n.id)).toEqual([]);
    await stores().notifications.resetFailures(repoId, n.uuid);
    await c.pushImage(repo, "two");
    await until(() => receiver.of(hook.path).length === 1);
    expect(receiver.of(hook.path)[0]!.body.updated_tags).toEqual(["two"]);
  });
});

describe("test notifications", () => {
  test("send the event's sample data, naming the registry by its own address", async () => {
    const hook = receiver.hook();
    const { repo, repoId, n } = await repoWithHook(hook.url);
    expect(await server.server.ctx.notify.test({ id: repoId, fullName: repo }, n.uuid)).toMatchObject({ kind: "queued", notification: { uuid: n.uuid } });
    await until(() => receiver.of(hook.path).length === 1);
    expect(receiver.of(hook.path)[0]!.body).toMatchObject({
      repository: repo,
      docker_url: `${new URL(server.url).host}/${repo}`,
      updated_tags: ["latest", "foo"],
      pruned_image_count: 3,
    });
  });

  test("an unknown uuid, or one of another repository, is not found", async () => {
    const { n } = await repoWithHook(receiver.hook().url);
    const other = await repoWithHook(receiver.hook().url);
    const test = server.server.ctx.notify.test;
    expect(await test({ id: other.repoId, fullName: other.repo }, n.uuid)).toEqual({ kind: "not_found" });
    expect(await test({ id: other.repoId, fullName: other.repo }, crypto.randomUUID())).toEqual({ kind: "not_found" });
  });
});

describe("payloads name the registry from its settings, never from the pusher's Host", () => {
  test("a push with a forged Host header: docker_url and homepage carry the server's own address", async () => {
    const hook = receiver.hook();
    const { repo } = await repoWithHook(hook.url);
    await new BearerRegistryClient(server.url, undefined, { host: "evil.example:443" }).pushImage(repo, "v1");
    await until(() => receiver.of(hook.path).length === 1);
    const own = new URL(server.url).host;
    const body = receiver.of(hook.path)[0]!.body;
    expect(body).toMatchObject({ docker_url: `${own}/${repo}`, homepage: `http://${own}/repository/${repo}` });
    expect(JSON.stringify(body)).not.toContain("evil.example");
  });

  test("with publicUrl set, payloads use it", async () => {
    const hook = receiver.hook();
    const other = await startTestServer({ notificationAllowLoopback: "true", publicUrl: "https://registry.example.com" });
    try {
      const repo = repoName("notify");
      const repoId = (await other.server.ctx.stores.repositories.ensure(repo)).id;
      await other.server.ctx.stores.notifications.create({ repositoryId: repoId, event: "repo_push", method: "webhook", config: { url: hook.url }, eventConfig: {} });
      await new BearerRegistryClient(other.url, undefined, { host: "evil.example" }).pushImage(repo, "latest");
      await until(() => receiver.of(hook.path).length === 1);
      expect(receiver.of(hook.path)[0]!.body).toMatchObject({
        docker_url: `registry.example.com/${repo}`,
        homepage: `https://registry.example.com/repository/${repo}`,
      });
    } finally {
      await other.stop();
    }
  });
});

describe("where webhooks go, decided when sending", () => {
  test("a name is resolved at delivery and the request goes to that address, with the URL's Host", async () => {
    const hook = receiver.hook();
    const { repo } = await repoWithHook(`http://hooks.test:${receiver.port}${hook.path}`);
    const before = receiver.hosts.length;
    await c.pushImage(repo, "latest");
    await until(() => receiver.of(hook.path).length === 1);
    expect(receiver.hosts.slice(before)).toEqual([`hooks.test:${receiver.port}`]);
  });

  test("a redirect is never followed, not even to another allowed listener", async () => {
    const target = receiver.hook();
    const bounce = receiver.redirect(target.url);
    const { repo, repoId, n } = await repoWithHook(bounce.url);
    await c.pushImage(repo, "latest");
    await until(async () => await failuresOf(repoId, n.uuid) === 1);
    expect(receiver.of(bounce.path)).toHaveLength(4);
    expect(receiver.of(target.path)).toHaveLength(0);
  });

  describe("without the loopback allowance", () => {
    let strict: TestServer;
    const strictNames: Record<string, string[]> = {};
    beforeAll(async () => {
      // Retries an hour apart: a row given up at once was refused, not merely failed.
      strict = await startTestServer(
        {},
        { notify: { retryDelaysMs: [3_600_000], timeoutMs: 1_000, resolve: async (h) => strictNames[h] ?? Promise.reject(new Error(`ENOTFOUND ${h}`)) } },
      );
    });
    afterAll(async () => {
      await strict?.stop();
    });

    const refused: [string, (port: number) => string][] = [
      ["localhost (from /etc/hosts)", (p) => `http://localhost:${p}`],
      ["[::ffff:127.0.0.1]", (p) => `http://[::ffff:127.0.0.1]:${p}`],
      ["[::ffff:0.0.0.0]", (p) => `http://[::ffff:0.0.0.0]:${p}`],
      ["0.0.0.0", (p) => `http://0.0.0.0:${p}`],
      ["2130706433 (decimal)", (p) => `http://2130706433:${p}`],
      ["0x7f.1 (hex)", (p) => `http://0x7f.1:${p}`],
      ["169.254.169.254 (cloud metadata)", () => "http://169.254.169.254"],
      ["a name that resolves to loopback when sending", (p) => `http://rebound.test:${p}`],
    ];
    for (const [name, base] of refused)
      test(`${name}: refused, given up at once, the listener never reached`, async () => {
        strictNames["rebound.test"] = ["127.0.0.1"];
        const hook = receiver.hook();
        const repo = repoName("strict");
        const st = strict.server.ctx.stores;
        const repoId = (await st.repositories.ensure(repo)).id;
        const n = await st.notifications.create({ repositoryId: repoId, event: "repo_push", method: "webhook", config: { url: `${base(receiver.port)}${hook.path}` }, eventConfig: {} });
        await new RegistryClient(strict.url).pushImage(repo, "latest");
        await until(async () => (await st.notifications.get(repoId, n.uuid))!.numberOfFailures === 1);
        expect(await st.notifications.pending(n.id)).toEqual([]);
        expect(receiver.of(hook.path)).toHaveLength(0);
      });
  });
});

describe("restarts", () => {
  test("deliveries queued before a restart are sent after it", async () => {
    const dataDir = tempDir();
    const hook = receiver.hook();
    const first = await startTestServer({ notificationAllowLoopback: "true" }, { dataDir });
    let firstRunning = true;
    let second: TestServer | undefined;
    try {
      // As if the process died before sending: nothing goes out from the first server.
      await first.server.ctx.notify.worker.stop();
      const repo = repoName("notify");
      const repoId = (await first.server.ctx.stores.repositories.ensure(repo)).id;
      const n = await first.server.ctx.stores.notifications.create({ repositoryId: repoId, event: "repo_push", method: "webhook", config: { url: hook.url }, eventConfig: {} });
      await new RegistryClient(first.url).pushImage(repo, "before-restart");
      expect(await first.server.ctx.stores.notifications.pending(n.id)).toHaveLength(1);
      await first.stop();
      firstRunning = false;
      expect(receiver.of(hook.path)).toHaveLength(0);

      second = await startTestServer({ notificationAllowLoopback: "true" }, { dataDir });
      await until(() => receiver.of(hook.path).length === 1);
      expect(receiver.of(hook.path)[0]!.body).toMatchObject({ repository: repo, updated_tags: ["before-restart"] });
      await until(async () => (await second!.server.ctx.stores.notifications.pending(n.id)).length === 0);
    } finally {
      if (firstRunning) await first.stop();
      await second?.stop();
      rmSync(dataDir, { recursive: true, force: true });
    }
  });
});
