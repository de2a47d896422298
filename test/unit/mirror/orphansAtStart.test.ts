// At start, one node on SQLite takes every SYNCING mirror for an orphan of the process before it
// and queues it again; on PostgreSQL another node may be running that sync, so nothing is
// requeued at start (orphans are found by their expired claim in the due mirrors' query).
import { expect, test } from "bun:test";
import { loadConfig } from "../../../src/config";
import { createLogger } from "../../../src/log";
import { setUpMirrors } from "../../../src/mirror";
import type { Registry } from "../../../src/registry/registry";
import type { Stores } from "../../../src/store";

async function requeuesAtStart(dialect: Stores["dialect"]): Promise<number> {
  let requeued = 0;
  const stores = { dialect, mirrors: { requeue: async () => ++requeued } } as unknown as Stores;
  const config = loadConfig({ mirrorPollSeconds: "0" }, {});
  const mirrors = setUpMirrors({ registry: {} as Registry, stores, config, log: createLogger({ requests: false, write: () => {} }) });
  await mirrors.worker.start();
  await mirrors.worker.stop();
  return requeued;
}

test("SQLite (one node): SYNCING mirrors are requeued at start", async () => {
  expect(await requeuesAtStart("sqlite")).toBe(1);
});

test("PostgreSQL (several nodes): nothing is requeued at start", async () => {
  expect(await requeuesAtStart("pg")).toBe(0);
});
