// The delivery worker over a real outbox with a scripted sender: retries on schedule, giving up,
// the concurrency cap, and stop() leaving interrupted rows for the next start.
import { afterEach, beforeEach, describe, expect, test } from "bun:test";
import { rmSync } from "node:fs";
import { createLogger } from "../../../src/log";
import { InProcessDeliveryClaims, type DeliveryClaims } from "../../../src/notify/deliveryClaims";
import { DeliveryWorker, type DeliveryWorkerOptions } from "../../../src/notify/deliveryWorker";
import type { DeliveryOutcome } from "../../../src/notify/sendDelivery";
import { openStores, type Stores } from "../../../src/store";
import type { DueDelivery, NotificationRow } from "../../../src/store/meta/notifications";
import { tempDir } from "../../support/server";

let dir: string;
let stores: Stores;
let notification: NotificationRow;
let worker: DeliveryWorker | undefined;
const log = createLogger({ requests: false, write: () => {} });

/** A repo_push webhook of `repo` (created with its namespace). */
const webhookIn = async (repo: string) =>
  stores.notifications.create({ repositoryId: (await stores.repositories.ensure(repo)).id, event: "repo_push", method: "webhook", config: { url: "https://e.com/" }, eventConfig: {} });

beforeEach(async () => {
  dir = tempDir("berth-worker-");
  stores = openStores({ dataDir: dir, uploadTtlMs: 60_000 });
  notification = await webhookIn("acme/web");
});
afterEach(async () => {
  await worker?.stop();
  worker = undefined;
  await stores.close();
  rmSync(dir, { recursive: true, force: true });
});

async function until(cond: () => boolean | Promise<boolean>, ms = 3_000): Promise<void> {
  const deadline = Date.now() + ms;
  while (!(await cond())) {
    if (Date.now() > deadline) throw new Error("condition not met in time");
    await Bun.sleep(5);
  }
}

/** A worker whose sender answers from `script` in turn (the last answer repeats). */
function startWorker(script: DeliveryOutcome[], opts: DeliveryWorkerOptions = {}) {
  const calls: { delivery: DueDelivery; at: number }[] = [];
  worker = new DeliveryWorker(stores.notifications, log, new InProcessDeliveryClaims(), {
    retryDelaysMs: [20, 40],
    pollMs: 5_000,
    send: async (delivery) => {
      calls.push({ delivery, at: Date.now() });
      return script[Math.min(calls.length - 1, script.length - 1)]!;
    },
    ...opts,
  });
  worker.start();
  return calls;
}

/** Queues one delivery, kicks the worker and waits until the outbox is empty again. */
async function queueAndSettle(): Promise<void> {
  await stores.notifications.enqueue(notification.id, "{}", Date.now());
  worker!.kick();
  await until(async () => (await stores.notifications.pending()).length === 0);
}

const fail: DeliveryOutcome = { ok: false, error: "500 response" };
const ok: DeliveryOutcome = { ok: true };
const failures = async () => (await stores.notifications.get(notification.repositoryId, notification.uuid))!.numberOfFailures;

describe("DeliveryWorker", () => {
  test("rows queued before start are sent on start and removed once delivered", async () => {
    await stores.notifications.enqueue(notification.id, '{"a":1}', Date.now());
    const calls = startWorker([ok]);
    await until(async () => (await stores.notifications.pending()).length === 0);
    expect(calls.map((c) => c.delivery.payload)).toEqual(['{"a":1}']);
  });

  test("kick sends a row queued while running without waiting for the poll", async () => {
    const calls = startWorker([ok]);
    await stores.notifications.enqueue(notification.id, "{}", Date.now());
    worker!.kick();
    await until(() => calls.length === 1);
  });

  test("failures are retried after the scheduled delays, then delivered", async () => {
    const calls = startWorker([fail, fail, ok]);
    await queueAndSettle();
    expect(calls.map((c) => c.delivery.attempts)).toEqual([0, 1, 2]);
    expect(calls[1]!.at - calls[0]!.at).toBeGreaterThanOrEqual(19);
    expect(calls[2]!.at - calls[1]!.at).toBeGreaterThanOrEqual(39);
    expect(await failures()).toBe(0);
  });

  test("when every retry fails the row is given up and the notification counts one failure", async () => {
    const calls = startWorker([fail]);
    await queueAndSettle();
    expect(calls).toHaveLength(3);
    expect(await failures()).toBe(1);
  });

  test("a permanent failure is given up at once", async () => {
    const calls = startWorker([{ ok: false, error: "no such method", permanent: true }]);
    await queueAndSettle();
    expect(calls).toHaveLength(1);
    expect(await failures()).toBe(1);
  });

  test("a disabled notification's rows are dropped unsent", async () => {
    for (let i = 0; i < 3; i++) await stores.notifications.giveUp(await stores.notifications.enqueue(notification.id, "{}", 0));
    const calls = startWorker([ok]);
    await queueAndSettle();
    expect(calls).toHaveLength(0);
    expect(await failures()).toBe(3);
  });

  test("never more sends in flight than the concurrency allows", async () => {
    let inFlight = 0;
    let peak = 0;
    let sent = 0;
    worker = new DeliveryWorker(stores.notifications, log, new InProcessDeliveryClaims(), {
      concurrency: 2,
      send: async () => {
        peak = Math.max(peak, ++inFlight);
        await Bun.sleep(10);
        inFlight--;
        sent++;
        return ok;
      },
    });
    for (let i = 0; i < 8; i++) await stores.notifications.enqueue(notification.id, `{"i":${i}}`, Date.now());
    worker.start();
    await until(() => sent === 8);
    expect(peak).toBe(2);
    expect(await stores.notifications.pending()).toEqual([]);
  });

  test("one namespace's stuck sends take at most its share: another namespace's row goes out at once", async () => {
    const [flood, floodOther] = [await webhookIn("flood/a"), await webhookIn("flood/b")];
    // Forty rows of the flooding namespace (over two repositories), all older than acme's row.
    for (let i = 0; i < 40; i++) await stores.notifications.enqueue(i % 2 ? flood.id : floodOther.id, "{}", Date.now() - 1_000);
    let stuck = 0;
    const sent: string[] = [];
    worker = new DeliveryWorker(stores.notifications, log, new InProcessDeliveryClaims(), {
      concurrency: 4,
      perNamespace: 2,
      send: (d, signal) => {
        if (d.notificationId === notification.id) {
          sent.push("acme");
          return Promise.resolve(ok);
        }
        stuck++;
        // A receiver that never answers: only stop() ends it.
        return new Promise((resolve) => signal.addEventListener("abort", () => resolve({ ok: false, error: "aborted" })));
      },
    });
    worker.start();
    await until(() => stuck === 2);
    await stores.notifications.enqueue(notification.id, "{}", Date.now());
    worker.kick();
    await until(() => sent.length === 1);
    expect(stuck).toBe(2);
    expect(worker.busy).toBe(2);
  });

  test("stop aborts a send in flight and leaves its row due, untouched", async () => {
    let started = false;
    worker = new DeliveryWorker(stores.notifications, log, new InProcessDeliveryClaims(), {
      send: (_d, signal) =>
        new Promise((resolve) => {
          started = true;
          signal.addEventListener("abort", () => resolve({ ok: false, error: "aborted" }));
        }),
    });
    const id = await stores.notifications.enqueue(notification.id, "{}", Date.now());
    worker.start();
    await until(() => started);
    await worker.stop();
    expect(worker.busy).toBe(0);
    expect(await stores.notifications.pending()).toMatchObject([{ id, attempts: 0, lastError: null }]);
    expect(await failures()).toBe(0);
  });

  test("a row claimed elsewhere is left alone until its claim is released", async () => {
    const claimedElsewhere = new Set<number>();
    const claims = new InProcessDeliveryClaims();
    const guarded: DeliveryClaims = {
      claim: async (id) => !claimedElsewhere.has(id) && claims.claim(id),
      release: (id) => claims.release(id),
    };
    const sent: number[] = [];
    worker = new DeliveryWorker(stores.notifications, log, guarded, { pollMs: 5_000, send: async (d) => (sent.push(d.id), ok) });
    const id = await stores.notifications.enqueue(notification.id, "{}", Date.now());
    claimedElsewhere.add(id);
    worker.start();
    await Bun.sleep(30);
    expect(sent).toEqual([]);
    expect(await stores.notifications.pending()).toHaveLength(1);
    claimedElsewhere.delete(id);
    worker.kick();
    await until(async () => (await stores.notifications.pending()).length === 0);
    expect(sent).toEqual([id]);
    expect(claims.size).toBe(0); // released after the attempt was recorded
  });

  test("two workers over one outbox with shared claims send each row once", async () => {
    const claims = new InProcessDeliveryClaims();
    const sent: number[] = [];
    const send = async (d: DueDelivery) => {
      sent.push(d.id);
      await Bun.sleep(5); // both workers see the row as due meanwhile
      return ok;
    };
    worker = new DeliveryWorker(stores.notifications, log, claims, { pollMs: 5_000, send });
    const second = new DeliveryWorker(stores.notifications, log, claims, { pollMs: 5_000, send });
    try {
      for (let i = 0; i < 6; i++) await stores.notifications.enqueue(notification.id, `{"i":${i}}`, Date.now());
      worker.start();
      second.start();
      await until(async () => (await stores.notifications.pending()).length === 0);
      expect(sent.toSorted()).toEqual([...new Set(sent)].toSorted());
      expect(sent).toHaveLength(6);
    } finally {
      await second.stop();
    }
  });
});
