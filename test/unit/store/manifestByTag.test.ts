// A tag with an expiry read through the read cache (a proxy cache's tags, read on every pull): the
// remembered answer is served until the expiry, and not a moment after, with no write between.
import { afterEach, expect, test } from "bun:test";
import { rmSync } from "node:fs";
import { openStores, type Stores } from "../../../src/store";
import { tempDir } from "../../support/server";
import { putManifest } from "./storeFixtures";

let dir = "";
let stores: Stores | undefined;
afterEach(() => {
  stores?.close();
  rmSync(dir, { recursive: true, force: true });
});

test("a remembered tag with an expiry stops being served at its expiry", async () => {
  let now = 1_000_000;
  dir = tempDir("berth-bytag-");
  stores = openStores({ dataDir: dir, uploadTtlMs: 60_000, clock: () => now });
  const made = await stores.registryWrites.transact((tx) => tx.createRepository({ fullName: "ns/app", visibility: "private", createNamespace: true }));
  if (!("repo" in made)) throw new Error(`no repository: ${made.kind}`);
  const repoId = made.repo.id;
  const { digest } = putManifest(stores, repoId, "one", "v1");
  const live = (await stores.registryWrites.transact((tx) => tx.liveTag(repoId, "v1")))!;
  await stores.registryWrites.transact((tx) => tx.setTagExpiry(live.id, now + 60_000));
  expect(stores.manifests.getByTag(repoId, "v1")?.digest).toBe(digest);
  now += 59_999;
  expect(stores.manifests.getByTag(repoId, "v1")?.digest).toBe(digest);
  now += 1;
  expect(stores.manifests.getByTag(repoId, "v1")).toBeUndefined();
  now -= 30_000; // a clock set back: the stored expiry still decides
  expect(stores.manifests.getByTag(repoId, "v1")?.digest).toBe(digest);
});
