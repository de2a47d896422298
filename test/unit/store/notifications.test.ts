// NotificationStore: notifications per repository, and the outbox from enqueue to delivered or
// given up.
import { afterEach, beforeEach, describe, expect, test } from "bun:test";
import { SYSTEM_ACTOR } from "../../../src/events/registryEvents";
import { registryFor } from "../../support/registryFixture";
import { rmSync } from "node:fs";
import { openStores, type Stores } from "../../../src/store";
import type { NotificationStore } from "../../../src/store/meta/notifications";
import { tempDir } from "../../support/server";

let dir: string;
let stores: Stores;
let store: NotificationStore;
let repoId: number;
let otherRepoId: number;

beforeEach(() => {
  dir = tempDir("berth-notify-");
  stores = openStores({ dataDir: dir, uploadTtlMs: 60_000 });
  store = stores.notifications;
  repoId = stores.repositories.ensure("acme/web").id;
  otherRepoId = stores.repositories.ensure("acme/api").id;
});
afterEach(() => {
  stores.close();
  rmSync(dir, { recursive: true, force: true });
});

const hook = (repositoryId: number, event = "repo_push", title?: string) =>
  store.create({ repositoryId, event, method: "webhook", config: { url: "https://e.com/h" }, eventConfig: { a: 1 }, title });

describe("notifications", () => {
  test("create returns the row with a uuid and the configs as given", () => {
    const n = hook(repoId, "repo_push", "CI");
    expect(n.uuid).toMatch(/^[0-9a-f-]{36}$/);
    expect(n).toMatchObject({ repositoryId: repoId, event: "repo_push", method: "webhook", title: "CI", numberOfFailures: 0 });
    expect(n.config).toEqual({ url: "https://e.com/h" });
    expect(n.eventConfig).toEqual({ a: 1 });
    expect(hook(repoId).title).toBeNull();
  });

  test("list, get and forEvent stay within the repository", () => {
    const a = hook(repoId);
    const b = hook(repoId, "build_success");
    const c = hook(otherRepoId);
    expect(store.listFor(repoId).map((n) => n.uuid)).toEqual([a.uuid, b.uuid]);
    expect(store.get(repoId, a.uuid)?.id).toBe(a.id);
    expect(store.get(repoId, c.uuid)).toBeUndefined();
    expect(store.forEvent(repoId, "repo_push").map((n) => n.uuid)).toEqual([a.uuid]);
    expect(store.forEvent(otherRepoId, "repo_push").map((n) => n.uuid)).toEqual([c.uuid]);
  });

  test("delete returns the deleted row, takes its pending deliveries, and ignores other repositories", () => {
    const a = hook(repoId);
    store.enqueue(a.id, "{}", 0);
    expect(store.delete(otherRepoId, a.uuid)).toBeUndefined();
    expect(store.delete(repoId, a.uuid)?.uuid).toBe(a.uuid);
    expect(store.get(repoId, a.uuid)).toBeUndefined();
    expect(store.pending()).toEqual([]);
    expect(store.delete(repoId, a.uuid)).toBeUndefined();
  });

  test("deleting the repository deletes its notifications and deliveries", async () => {
    const a = hook(repoId);
    store.enqueue(a.id, "{}", 0);
    expect((await registryFor(stores).registry.deleteRepository({ repo: { id: repoId, name: "x/y" }, actor: SYSTEM_ACTOR })).kind).toBe("ok");
    expect(store.listFor(repoId)).toEqual([]);
    expect(store.pending()).toEqual([]);
  });
});

describe("outbox", () => {
  test("due returns rows whose time has come, earliest first, with the method and config", () => {
    const a = hook(repoId);
    const late = store.enqueue(a.id, '{"n":2}', 2_000);
    const early = store.enqueue(a.id, '{"n":1}', 1_000);
    expect(store.due(999, 10)).toEqual([]);
    expect(store.due(1_000, 10).map((d) => d.id)).toEqual([early]);
    const both = store.due(5_000, 10);
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
    expect(store.due(5_000, 1).map((d) => d.id)).toEqual([early]);
  });

  test("due takes namespaces in turns and at most perNamespace rows of each", () => {
    // acme's backlog is older than everything of the other namespaces.
    const flood = hook(repoId);
    const floodApi = hook(otherRepoId);
    const acme = [1, 2, 3, 4].map((t) => store.enqueue(t % 2 ? flood.id : floodApi.id, "{}", t));
    const other = hook(stores.repositories.ensure("other/app").id);
    const third = hook(stores.repositories.ensure("third/app").id);
    const o = [store.enqueue(other.id, "{}", 10), store.enqueue(other.id, "{}", 11)];
    const t = store.enqueue(third.id, "{}", 12);
    expect(store.due(100, 10, 2).map((d) => d.id)).toEqual([acme[0], o[0], t, acme[1], o[1]]);
    expect(store.due(100, 3, 2).map((d) => d.id)).toEqual([acme[0], o[0], t]);
    expect(store.due(100, 10, 1).map((d) => d.id)).toEqual([acme[0], o[0], t]);
    expect(store.due(100, 10).map((d) => d.id)).toEqual([acme[0], o[0], t, acme[1], o[1], acme[2], acme[3]]);
  });

  test("a failed attempt counts, keeps the error and moves the row later", () => {
    const a = hook(repoId);
    const id = store.enqueue(a.id, "{}", 1_000);
    store.markAttemptFailed(id, "500 response", 6_000);
    expect(store.due(5_999, 10)).toEqual([]);
    expect(store.due(6_000, 10)[0]?.attempts).toBe(1);
    expect(store.pending(a.id)).toEqual([{ id, notificationId: a.id, payload: "{}", attempts: 1, nextAttemptMs: 6_000, lastError: "500 response" }]);
  });

  test("giving up drops the row and counts one failure on the notification", () => {
    const a = hook(repoId);
    const b = hook(repoId);
    const id = store.enqueue(a.id, "{}", 0);
    store.enqueue(b.id, "{}", 0);
    store.giveUp(id);
    expect(store.pending(a.id)).toEqual([]);
    expect(store.pending(b.id)).toHaveLength(1);
    expect(store.get(repoId, a.uuid)?.numberOfFailures).toBe(1);
    expect(store.get(repoId, b.uuid)?.numberOfFailures).toBe(0);
    store.giveUp(id);
    expect(store.get(repoId, a.uuid)?.numberOfFailures).toBe(1);
  });

  test("a delivery drops the row and clears the notification's failures, as Quay does", () => {
    const a = hook(repoId);
    store.giveUp(store.enqueue(a.id, "{}", 0));
    store.giveUp(store.enqueue(a.id, "{}", 0));
    expect(store.get(repoId, a.uuid)?.numberOfFailures).toBe(2);
    const id = store.enqueue(a.id, "{}", 0);
    expect(store.due(0, 10)[0]?.numberOfFailures).toBe(2);
    store.markDelivered(id);
    expect(store.pending()).toEqual([]);
    expect(store.get(repoId, a.uuid)?.numberOfFailures).toBe(0);
  });

  test("resetFailures sets the count back to 0 within the repository only", () => {
    const a = hook(repoId);
    store.giveUp(store.enqueue(a.id, "{}", 0));
    expect(store.resetFailures(otherRepoId, a.uuid)).toBeUndefined();
    expect(store.resetFailures(repoId, a.uuid)?.numberOfFailures).toBe(0);
    expect(store.get(repoId, a.uuid)?.numberOfFailures).toBe(0);
  });

  test("discard drops the row without counting", () => {
    const a = hook(repoId);
    store.discard(store.enqueue(a.id, "{}", 0));
    expect(store.pending()).toEqual([]);
    expect(store.get(repoId, a.uuid)?.numberOfFailures).toBe(0);
  });

  test("the outbox survives closing and reopening the database", () => {
    const a = hook(repoId);
    const id = store.enqueue(a.id, '{"x":1}', 42);
    stores.close();
    stores = openStores({ dataDir: dir, uploadTtlMs: 60_000 });
    store = stores.notifications;
    expect(store.due(42, 10).map((d) => [d.id, d.payload])).toEqual([[id, '{"x":1}']]);
  });
});
