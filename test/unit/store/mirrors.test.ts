// The mirror store's queue rules (Quay's data/model/repo_mirror.py): which mirrors are due, claims
// as compare-and-set, release with backoff and retries, sync-now and cancel, requeue of orphans;
// credentials sealed at rest, and the proxies beside them (MirrorProxyStore). The same assertions
// on SQLite and on PostgreSQL (./eachDialect.ts).
import { expect, test } from "bun:test";
import { eq } from "drizzle-orm";
import { all, changes, type Runner } from "../../../src/store/dialect/program";
import { FieldCipher } from "../../../src/store/fieldEncryption";
import { MirrorProxyStore } from "../../../src/store/meta/mirrorProxies";
import { MirrorStore, type MirrorConfig, type NewMirror } from "../../../src/store/meta/mirrors";
import { addRepository, describeEachDialect } from "./eachDialect";

const MIN = 60_000;
const cipher = new FieldCipher(new Uint8Array(32).fill(7), "mirror credential");

function setState(runner: Runner, repoId: number, state: "MIRROR" | "NORMAL") {
  return runner.run(function* ({ db, t }) {
    yield* changes(db.update(t.repositories).set({ state }).where(eq(t.repositories.id, repoId)));
  });
}

const newMirror = (repositoryId: number, start: number): NewMirror => ({
  repositoryId,
  robotId: null,
  externalReference: "quay.io/acme/app",
  username: "bob",
  password: "hunter2",
  verifyTls: true,
  unsignedImages: false,
  tagGlobs: ["v*"],
  syncIntervalS: 3600,
  syncStartMs: start,
  timeoutS: 300,
  isEnabled: true,
});

describeEachDialect("mirrors.test.ts", "MirrorStore", (backend) => {
  /** "acme/app" in MIRROR state with its mirror, due now; `now` moves the store's clock. */
  async function mirrored() {
    const { runner } = backend();
    const clock = { now: Date.UTC(2026, 11, 2, 12, 0, 0) };
    const mirrors = new MirrorStore(runner, cipher, () => clock.now);
    const repoId = await addRepository(runner, "acme/app");
    await setState(runner, repoId, "MIRROR");
    expect(await mirrors.create(newMirror(repoId, clock.now))).toBe(true);
    const mirror = async (): Promise<MirrorConfig> => (await mirrors.get(repoId))!;
    const due = async () => (await mirrors.eligible()).map((m) => m.repository);
    return { runner, clock, mirrors, repoId, mirror, due };
  }

  /** Claimed and released with success once: the state the later steps of the queue start from. */
  async function synced() {
    const m = await mirrored();
    expect(await m.mirrors.release((await m.mirrors.claim(await m.mirror()))!, "SUCCESS", null)).toBe(true);
    return m;
  }

  test("credentials are sealed at rest and read back for the sync", async () => {
    const { runner, mirrors, mirror } = await mirrored();
    const [row] = await runner.run(function* ({ db, t }) {
      return yield* all(db.select({ username: t.repoMirrors.username, password: t.repoMirrors.password }).from(t.repoMirrors));
    });
    expect([row!.username!.startsWith("v1$$"), row!.password!.startsWith("v1$$")]).toEqual([true, true]);
    expect(await mirrors.credentials((await mirror()).id)).toEqual({ username: "bob", password: "hunter2" });
    expect(await mirror()).toMatchObject({ username: "bob", hasPassword: true, tagGlobs: ["v*"], architectureFilter: [], repository: "acme/app", robot: null });
  });

  test("due at its start date; a claim is taken once; a stale claim does not release", async () => {
    const { mirrors, mirror, due } = await mirrored();
    expect(await due()).toEqual(["acme/app"]);
    const seen = await mirror();
    const claimed = (await mirrors.claim(seen))!;
    expect(claimed.syncStatus).toBe("SYNCING");
    expect(await mirrors.claim(seen)).toBeUndefined();
    expect(await due()).toEqual([]);
    expect(await mirrors.release(seen, "SUCCESS", null)).toBe(false);
    expect(await mirrors.release(claimed, "SUCCESS", null)).toBe(true);
  });

  test("two workers claiming one mirror at once: one gets it", async () => {
    const { mirrors, mirror } = await mirrored();
    const seen = await mirror();
    const claims = await Promise.all(Array.from({ length: 8 }, () => mirrors.claim(seen)));
    expect(claims.filter((c) => c !== undefined)).toHaveLength(1);
  });

  test("success: next start at the next interval; failures back off 1, then 2 minutes, then the third moves to the next interval with retries reset", async () => {
    const { clock, mirrors, mirror, due } = await synced();
    expect(await mirror()).toMatchObject({ syncStatus: "SUCCESS", syncStartMs: clock.now + 3600_000, syncRetriesRemaining: 3, lastError: null });
    clock.now += 3600_000;
    const steps: [number, number][] = [
      [1 * MIN, 2],
      [2 * MIN, 1],
      [3600_000, 3],
    ];
    for (const [wait, retries] of steps) {
      const claimed = (await mirrors.claim(await mirror()))!;
      expect(await mirrors.release(claimed, "FAIL", "upstream down")).toBe(true);
      const after = await mirror();
      expect([after.syncStartMs! - clock.now, after.syncRetriesRemaining, after.lastError]).toEqual([wait, retries, "upstream down"]);
      expect(await due()).toEqual([]);
      clock.now += wait;
      expect(await due()).toEqual(["acme/app"]);
    }
  });

  test("sync-now runs at once; cancel stops it until the next sync-now; orphans are requeued", async () => {
    const { clock, repoId, mirrors, mirror, due } = await synced();
    clock.now += 3600_000 + 10 * MIN; // due anyway
    expect(await mirrors.syncNow(repoId)).toBe(true);
    expect(await mirrors.cancel(repoId)).toBe(true);
    expect(await mirror()).toMatchObject({ syncStatus: "CANCEL", syncRetriesRemaining: 0 });
    expect(await due()).toEqual([]);
    expect(await mirrors.cancel(repoId)).toBe(false);
    expect(await mirrors.syncNow(repoId)).toBe(true);
    const claimed = (await mirrors.claim(await mirror()))!;
    // Not while it runs.
    expect(await mirrors.syncNow(repoId)).toBe(false);
    // The process died: at the next start the sync is queued again.
    expect(await mirrors.requeue()).toBe(1);
    expect((await mirror()).syncStatus).toBe("SYNC_NOW");
    expect(await mirrors.release(claimed, "SUCCESS", null)).toBe(false);
  });

  test("cancels and sync-nows at once: each mirror state change happens once", async () => {
    const { repoId, mirrors, mirror } = await mirrored();
    for (let round = 0; round < 5; round++) {
      expect(await mirrors.syncNow(repoId)).toBe(true);
      // Locked: of several cancels at once, one finds SYNC_NOW and the rest find CANCEL.
      expect((await Promise.all(Array.from({ length: 4 }, () => mirrors.cancel(repoId)))).filter(Boolean)).toHaveLength(1);
      expect(await mirror()).toMatchObject({ syncStatus: "CANCEL", syncRetriesRemaining: 0 });
    }
    expect(await mirrors.syncNow(repoId)).toBe(true);
    expect(await mirrors.claim(await mirror())).toBeDefined();
    // Claimed (SYNCING): every sync-now at once refuses, none slips in between.
    expect((await Promise.all(Array.from({ length: 6 }, () => mirrors.syncNow(repoId)))).filter(Boolean)).toHaveLength(0);
    expect((await mirror()).syncStatus).toBe("SYNCING");
  });

  test("one mirror per repository, also when created at once", async () => {
    const { runner } = backend();
    const mirrors = new MirrorStore(runner, cipher);
    const repoId = await addRepository(runner, "acme/twice");
    const created = await Promise.all(Array.from({ length: 6 }, () => mirrors.create(newMirror(repoId, 0))));
    expect(created.filter(Boolean)).toHaveLength(1);
    expect(await mirrors.create(newMirror(repoId, 0))).toBe(false);
  });

  test("change and changeCredentials: the fields given, true only when there is a mirror", async () => {
    const { repoId, mirrors, mirror } = await mirrored();
    expect(await mirrors.change(repoId, { tagGlobs: ["1.*"], architectureFilter: ["amd64"], isEnabled: false })).toBe(true);
    expect(await mirror()).toMatchObject({ tagGlobs: ["1.*"], architectureFilter: ["amd64"], isEnabled: false, externalReference: "quay.io/acme/app" });
    expect(await mirrors.change(repoId, {})).toBe(false);
    expect(await mirrors.change(repoId + 1000, { isEnabled: true })).toBe(false);
    // A username alone keeps the password; null removes it.
    expect(await mirrors.changeCredentials(repoId, "alice")).toBe(true);
    expect(await mirrors.credentials((await mirror()).id)).toEqual({ username: "alice", password: "hunter2" });
    expect(await mirrors.changeCredentials(repoId, "alice", null)).toBe(true);
    expect(await mirror()).toMatchObject({ username: "alice", hasPassword: false });
    expect(await mirrors.changeCredentials(repoId, null, null)).toBe(true);
    expect(await mirrors.credentials((await mirror()).id)).toBeUndefined();
  });

  test("a repository that is not in MIRROR state is never due", async () => {
    const { runner, repoId, due } = await mirrored();
    expect(await due()).toEqual(["acme/app"]);
    await setState(runner, repoId, "NORMAL");
    expect(await due()).toEqual([]);
  });

  test("proxies: sealed, changed key by key, and two changes at once each keep the other's key", async () => {
    const { runner, repoId } = await mirrored();
    const proxies = new MirrorProxyStore(runner, cipher);
    expect(await proxies.get(repoId)).toEqual({});
    expect(await proxies.change(repoId, { http_proxy: "http://u:p@proxy:3128", no_proxy: null })).toEqual(["http_proxy"]);
    const [row] = await runner.run(function* ({ db, t }) {
      return yield* all(db.select({ proxy: t.repoMirrors.proxy }).from(t.repoMirrors));
    });
    expect(row!.proxy!.startsWith("v1$$")).toBe(true);
    expect(await proxies.change(repoId, { http_proxy: "http://u:p@proxy:3128" })).toEqual([]);
    const keys = ["https_proxy", "no_proxy"] as const;
    expect(await Promise.all(keys.map((k) => proxies.change(repoId, { [k]: `${k}-value` })))).toEqual([["https_proxy"], ["no_proxy"]]);
    expect(await proxies.get(repoId)).toEqual({ http_proxy: "http://u:p@proxy:3128", no_proxy: "no_proxy-value", https_proxy: "https_proxy-value" });
  });
});
