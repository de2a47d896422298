// NotificationStore: notifications per repository, and the outbox from enqueue to delivered or
// given up; the same assertions on SQLite and on PostgreSQL (./eachDialect.ts).
import { afterEach, beforeEach, describe, expect, test } from "bun:test";
import { rmSync } from "node:fs";
import { eq } from "drizzle-orm";
import { SYSTEM_ACTOR } from "../../../src/events/registryEvents";
import { registryFor } from "../../support/registryFixture";
import { openStores, type Stores } from "../../../src/store";
import { all, changes, type Runner } from "../../../src/store/dialect/program";
import { NotificationStore } from "../../../src/store/meta/notifications";
import { tempDir } from "../../support/server";
import { addRepository, describeEachDialect } from "./eachDialect";

let store: NotificationStore;
let repoId: number;
let otherRepoId: number;

const hook = (repositoryId: number, event = "repo_push", title?: string) =>
  store.create({ repositoryId, event, method: "webhook", config: { url: "https://e.com/h" }, eventConfig: { a: 1 }, title });

describeEachDialect("notifications.test.ts", "NotificationStore", (backend) => {
  let runner: Runner;

  beforeEach(async () => {
    runner = backend().runner;
    store = new NotificationStore(runner);
    repoId = await addRepository(runner, "acme/web");
    otherRepoId = await addRepository(runner, "acme/api");
  });

  describe("notifications", () => {
    test("create returns the row with a uuid and the configs as given", async () => {
      const n = await hook(repoId, "repo_push", "CI");
      expect(n.uuid).toMatch(/^[0-9a-f-]{36}$/);
      expect(n).toMatchObject({ repositoryId: repoId, event: "repo_push", method: "webhook", title: "CI", numberOfFailures: 0 });
      expect(n.config).toEqual({ url: "https://e.com/h" });
      expect(n.eventConfig).toEqual({ a: 1 });
      expect((await hook(repoId)).title).toBeNull();
    });

    test("list, get and forEvent stay within the repository", async () => {
      const a = await hook(repoId);
      const b = await hook(repoId, "build_success");
      const c = await hook(otherRepoId);
      expect((await store.listFor(repoId)).map((n) => n.uuid)).toEqual([a.uuid, b.uuid]);
      expect((await store.get(repoId, a.uuid))?.id).toBe(a.id);
      expect(await store.get(repoId, c.uuid)).toBeUndefined();
      expect((await store.forEvent(repoId, "repo_push")).map((n) => n.uuid)).toEqual([a.uuid]);
      expect((await store.forEvent(otherRepoId, "repo_push")).map((n) => n.uuid)).toEqual([c.uuid]);
    });

    test("delete returns the deleted row, takes its pending deliveries, and ignores other repositories", async () => {
      const a = await hook(repoId);
      await store.enqueue(a.id, "{}", 0);
      expect(await store.delete(otherRepoId, a.uuid)).toBeUndefined();
      expect((await store.delete(repoId, a.uuid))?.uuid).toBe(a.uuid);
      expect(await store.get(repoId, a.uuid)).toBeUndefined();
      expect(await store.pending()).toEqual([]);
      expect(await store.delete(repoId, a.uuid)).toBeUndefined();
    });
    test("deleting the repository row deletes its notifications and deliveries (the foreign keys cascade)", async () => {
      const a = await hook(repoId);
      await store.enqueue(a.id, "{}", 0);
      await runner.run(function* ({ db, t }) {
        yield* changes(db.delete(t.repositories).where(eq(t.repositories.id, repoId)));
      });
      expect(await store.listFor(repoId)).toEqual([]);
      expect(await store.pending()).toEqual([]);
    });

    test("forNamespaceEvent answers the event's notifications of every repository in the namespace, oldest first", async () => {
      const a = await hook(otherRepoId);
      await hook(repoId, "build_success");
      const b = await hook(repoId);
      await hook(await addRepository(runner, "other/app"));
      const acme = await runner.run(function* ({ db, t }) {
        const [row] = yield* all(db.select({ id: t.repositories.namespaceId }).from(t.repositories).where(eq(t.repositories.id, repoId)));
        return row!.id;
      });
      expect((await store.forNamespaceEvent(acme, "repo_push")).map((n) => n.uuid)).toEqual([a.uuid, b.uuid]);
    });
  });

  describe("outbox", () => {
    test("due returns rows whose time has come, earliest first, with the method and config", async () => {
      const a = await hook(repoId);
      const late = await store.enqueue(a.id, '{"n":2}', 2_000);
      const early = await store.enqueue(a.id, '{"n":1}', 1_000);
      expect(await store.due(999, 10)).toEqual([]);
      expect((await store.due(1_000, 10)).map((d) => d.id)).toEqual([early]);
      const both = await store.due(5_000, 10);
      expect(both.map((d) => d.id)).toEqual([early, late]);
      expect(both[0]).toEqual({
        id: early,
        notificationId: a.id,
        notificationUuid: a.uuid,
        attempts: 0,
        payload: '{"n":1}',
        method: "webhook",
        config: { url: "https://e.com/h" },
        numberOfFailures: 0,
        namespaceId: expect.any(Number),
      });
      expect((await store.due(5_000, 1)).map((d) => d.id)).toEqual([early]);
    });

    test("due takes namespaces in turns and at most perNamespace rows of each", async () => {
      // acme's backlog is older than everything of the other namespaces.
      const flood = await hook(repoId);
      const floodApi = await hook(otherRepoId);
      const acme = await Promise.all([1, 2, 3, 4].map((t) => store.enqueue(t % 2 ? flood.id : floodApi.id, "{}", t)));
      const other = await hook(await addRepository(runner, "other/app"));
      const third = await hook(await addRepository(runner, "third/app"));
      const o = [await store.enqueue(other.id, "{}", 10), await store.enqueue(other.id, "{}", 11)];
      const t = await store.enqueue(third.id, "{}", 12);
      expect((await store.due(100, 10, 2)).map((d) => d.id)).toEqual([acme[0], o[0], t, acme[1], o[1]]);
      expect((await store.due(100, 3, 2)).map((d) => d.id)).toEqual([acme[0], o[0], t]);
      expect((await store.due(100, 10, 1)).map((d) => d.id)).toEqual([acme[0], o[0], t]);
      expect((await store.due(100, 10)).map((d) => d.id)).toEqual([acme[0], o[0], t, acme[1], o[1], acme[2], acme[3]]);
    });

    test("a failed attempt counts, keeps the error and moves the row later", async () => {
      const a = await hook(repoId);
      const id = await store.enqueue(a.id, "{}", 1_000);
      await store.markAttemptFailed(id, "500 response", 6_000);
      expect(await store.due(5_999, 10)).toEqual([]);
      expect((await store.due(6_000, 10))[0]?.attempts).toBe(1);
      expect(await store.pending(a.id)).toEqual([{ id, notificationId: a.id, payload: "{}", attempts: 1, nextAttemptMs: 6_000, lastError: "500 response" }]);
    });

    test("giving up drops the row and counts one failure on the notification", async () => {
      const a = await hook(repoId);
      const b = await hook(repoId);
      const id = await store.enqueue(a.id, "{}", 0);
      await store.enqueue(b.id, "{}", 0);
      await store.giveUp(id);
      expect(await store.pending(a.id)).toEqual([]);
      expect(await store.pending(b.id)).toHaveLength(1);
      expect((await store.get(repoId, a.uuid))?.numberOfFailures).toBe(1);
      expect((await store.get(repoId, b.uuid))?.numberOfFailures).toBe(0);
      await store.giveUp(id);
      expect((await store.get(repoId, a.uuid))?.numberOfFailures).toBe(1);
    });

    test("a delivery drops the row and clears the notification's failures, as Quay does", async () => {
      const a = await hook(repoId);
      await store.giveUp(await store.enqueue(a.id, "{}", 0));
      await store.giveUp(await store.enqueue(a.id, "{}", 0));
      expect((await store.get(repoId, a.uuid))?.numberOfFailures).toBe(2);
      const id = await store.enqueue(a.id, "{}", 0);
      expect((await store.due(0, 10))[0]?.numberOfFailures).toBe(2);
      await store.markDelivered(id);
      expect(await store.pending()).toEqual([]);
      expect((await store.get(repoId, a.uuid))?.numberOfFailures).toBe(0);
    });

    test("resetFailures sets the count back to 0 within the repository only", async () => {
      const a = await hook(repoId);
      await store.giveUp(await store.enqueue(a.id, "{}", 0));
      expect(await store.resetFailures(otherRepoId, a.uuid)).toBeUndefined();
      expect((await store.resetFailures(repoId, a.uuid))?.numberOfFailures).toBe(0);
      expect((await store.get(repoId, a.uuid))?.numberOfFailures).toBe(0);
    });

    test("discard drops the row without counting", async () => {
      const a = await hook(repoId);
      await store.discard(await store.enqueue(a.id, "{}", 0));
      expect(await store.pending()).toEqual([]);
      expect((await store.get(repoId, a.uuid))?.numberOfFailures).toBe(0);
    });

    test("the window counts rank as a number: ten of one namespace at one time, in id order, then the eleventh is left", async () => {
      const a = await hook(repoId);
      const other = await hook(await addRepository(runner, "other/app"));
      const ids: number[] = [];
      for (let i = 0; i < 12; i++) ids.push(await store.enqueue(a.id, "{}", 5));
      const o = await store.enqueue(other.id, "{}", 7);
      const due = await store.due(10, 100, 10);
      expect(due.map((d) => d.id)).toEqual([ids[0], o, ...ids.slice(1, 10)]);
      expect(due.every((d) => typeof d.namespaceId === "number" && typeof d.attempts === "number")).toBe(true);
      expect((await store.due(10, 100, 2)).map((d) => d.id)).toEqual([ids[0], o, ids[1]]);
    });

    test("a row given up twice at once counts one failure; delivered twice at once, cleared once", async () => {
      const a = await hook(repoId);
      const id = await store.enqueue(a.id, "{}", 0);
      await Promise.all([store.giveUp(id), store.giveUp(id), store.giveUp(id)]);
      expect((await store.get(repoId, a.uuid))?.numberOfFailures).toBe(1);
      const sent = await store.enqueue(a.id, "{}", 0);
      await Promise.all([store.markDelivered(sent), store.markDelivered(sent)]);
      expect(await store.pending()).toEqual([]);
      expect((await store.get(repoId, a.uuid))?.numberOfFailures).toBe(0);
    });
  });
});

// The registry's repository delete and a reopened database file: SQLite through openStores.
describe("with openStores", () => {
  let dir: string;
  let stores: Stores;
  beforeEach(async () => {
    dir = tempDir("berth-notify-");
    stores = openStores({ dataDir: dir, uploadTtlMs: 60_000 });
    store = stores.notifications;
    repoId = (await stores.repositories.ensure("acme/web")).id;
  });
  afterEach(async () => {
    await stores.close();
    rmSync(dir, { recursive: true, force: true });
  });

  test("deleting the repository deletes its notifications and deliveries", async () => {
    const a = await hook(repoId);
    await store.enqueue(a.id, "{}", 0);
    expect((await registryFor(stores).registry.deleteRepository({ repo: { id: repoId, name: "x/y" }, actor: SYSTEM_ACTOR })).kind).toBe("ok");
    expect(await store.listFor(repoId)).toEqual([]);
    expect(await store.pending()).toEqual([]);
  });

  test("the outbox survives closing and reopening the database", async () => {
    const a = await hook(repoId);
    const id = await store.enqueue(a.id, '{"x":1}', 42);
    await stores.close();
    stores = openStores({ dataDir: dir, uploadTtlMs: 60_000 });
    store = stores.notifications;
    expect((await store.due(42, 10)).map((d) => [d.id, d.payload])).toEqual([[id, '{"x":1}']]);
  });
});
