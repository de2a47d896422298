// The mirror store's queue rules (Quay's data/model/repo_mirror.py): which mirrors are due, claims
// as compare-and-set, release with backoff and retries, sync-now and cancel, requeue of orphans;
// and credentials sealed at rest.
import { afterAll, beforeAll, describe, expect, test } from "bun:test";
import { rmSync } from "node:fs";
import { openStores, type Stores } from "../../../src/store";
import type { MirrorConfig } from "../../../src/store/meta/mirrors";
import { tempDir } from "../../support/server";

const dir = tempDir("berth-mirrors-");
let stores: Stores;
let now = Date.UTC(2026, 11, 2, 12, 0, 0);
const MIN = 60_000;
let repoId: number;

beforeAll(async () => {
  stores = openStores({ dataDir: dir, uploadTtlMs: 60_000, clock: () => now });
  const repo = (await stores.repositories.ensure("acme/app"));
  repoId = repo.id;
  stores.db.$client.run("UPDATE repositories SET state = 'MIRROR' WHERE id = ?", [repoId]);
  expect(
    stores.mirrors.create({
      repositoryId: repoId,
      robotId: null,
      externalReference: "quay.io/acme/app",
      username: "bob",
      password: "hunter2",
      verifyTls: true,
      unsignedImages: false,
      tagGlobs: ["v*"],
      syncIntervalS: 3600,
      syncStartMs: now,
      timeoutS: 300,
      isEnabled: true,
    }),
  ).toBe(true);
});
afterAll(() => {
  stores.close();
  rmSync(dir, { recursive: true, force: true });
});

const mirror = (): MirrorConfig => stores.mirrors.get(repoId)!;
const due = () => stores.mirrors.eligible().map((m) => m.repository);

describe("the mirror queue", () => {
  test("credentials are sealed at rest and read back for the sync", () => {
    const row = stores.db.$client.query("SELECT username, password FROM repo_mirrors").get() as { username: string; password: string };
    expect([row.username.startsWith("v1$$"), row.password.startsWith("v1$$")]).toEqual([true, true]);
    expect(stores.mirrors.credentials(mirror().id)).toEqual({ username: "bob", password: "hunter2" });
    expect(mirror()).toMatchObject({ username: "bob", hasPassword: true });
  });

  test("due at its start date; a claim is taken once; a stale claim does not release", () => {
    expect(due()).toEqual(["acme/app"]);
    const seen = mirror();
    const claimed = stores.mirrors.claim(seen)!;
    expect(claimed.syncStatus).toBe("SYNCING");
    expect(stores.mirrors.claim(seen)).toBeUndefined();
    expect(due()).toEqual([]);
    expect(stores.mirrors.release(seen, "SUCCESS", null)).toBe(false);
    expect(stores.mirrors.release(claimed, "SUCCESS", null)).toBe(true);
  });

  test("success: next start at the next interval; failures back off 1, then 2 minutes, then the third moves to the next interval with retries reset", () => {
    expect(mirror()).toMatchObject({ syncStatus: "SUCCESS", syncStartMs: now + 3600_000, syncRetriesRemaining: 3, lastError: null });
    now += 3600_000;
    const steps: [number, number][] = [
      [1 * MIN, 2],
      [2 * MIN, 1],
      [3600_000, 3],
    ];
    for (const [wait, retries] of steps) {
      const claimed = stores.mirrors.claim(mirror())!;
      expect(stores.mirrors.release(claimed, "FAIL", "upstream down")).toBe(true);
      expect([mirror().syncStartMs! - now, mirror().syncRetriesRemaining, mirror().lastError]).toEqual([wait, retries, "upstream down"]);
      expect(due()).toEqual([]);
      now += wait;
      expect(due()).toEqual(["acme/app"]);
    }
  });

  test("sync-now runs at once; cancel stops it until the next sync-now; orphans are requeued", () => {
    now += 10 * MIN; // due anyway
    expect(stores.mirrors.syncNow(repoId)).toBe(true);
    expect(stores.mirrors.cancel(repoId)).toBe(true);
    expect(mirror()).toMatchObject({ syncStatus: "CANCEL", syncRetriesRemaining: 0 });
    expect(due()).toEqual([]);
    expect(stores.mirrors.cancel(repoId)).toBe(false);
    expect(stores.mirrors.syncNow(repoId)).toBe(true);
    const claimed = stores.mirrors.claim(mirror())!;
    // Not while it runs.
    expect(stores.mirrors.syncNow(repoId)).toBe(false);
    // The process died: at the next start the sync is queued again.
    expect(stores.mirrors.requeue()).toBe(1);
    expect(mirror().syncStatus).toBe("SYNC_NOW");
    expect(stores.mirrors.release(claimed, "SUCCESS", null)).toBe(false);
  });

  test("a repository that is not in MIRROR state is never due", () => {
    stores.db.$client.run("UPDATE repositories SET state = 'NORMAL' WHERE id = ?", [repoId]);
    expect(due()).toEqual([]);
  });
});
