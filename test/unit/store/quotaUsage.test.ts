// Namespace usage: each blob a manifest of the namespace names counts once, and the figure the
// database maintains (triggers) equals a recomputation from the base tables after any mix of
// pushes, mounts and deletions, whichever path deletes (the registry, cascades, a collector that
// deletes manifest and blob rows itself). Drift, if it ever came, is found and repaired.
import { describe, expect, test } from "bun:test";
import { eq } from "drizzle-orm";
import { SYSTEM_ACTOR, type RepoRef } from "../../../src/events/registryEvents";
import * as blobSteps from "../../../src/registry/blobSteps";
import { runOperation } from "../../../src/registry/operation";
import type { SqliteStores as Stores } from "../../../src/store";
import { removeNamespace } from "../../../src/store/namespaceRemoval";
import { blobs, manifests, namespaceBlobRefs, namespaceUsage } from "../../../src/store/schema";
import { quotaUsageTask } from "../../../src/registry/lifecycle/quotaUsage";
import { registryFor } from "../../support/registryFixture";
import { tempDir } from "../../support/server";
import { sha256, storesPerTest } from "./storeFixtures";
import { openStores } from "../../../src/store";
import { readFileSync, rmSync } from "node:fs";
import { join } from "node:path";

const s = storesPerTest("berth-quota-usage-");
const actor = SYSTEM_ACTOR;
const enc = new TextEncoder();

async function repoRef(stores: Stores, name: string): Promise<RepoRef> {
  const row = (await stores.repositories.ensure(name));
  return { id: row.id, name: row.fullName };
}

/** Links a blob of `size` bytes to the repository, as a finished upload does (the bytes themselves do not matter here). */
function upload(stores: Stores, repo: RepoRef, digest: string, size: number) {
  return runOperation({ writes: stores.registryWrites, events: registryFor(stores).events }, (op) => blobSteps.finishUpload(op, { repo, digest, size, actor }));
}

/** Pushes a manifest naming `layers`; `foreign` ones (not distributable) need not be in the repository. */
async function push(stores: Stores, repo: RepoRef, layers: string[], tag?: string, foreign: string[] = []) {
  const nonce = crypto.randomUUID();
  const content = enc.encode(JSON.stringify({ schemaVersion: 2, layers, nonce }));
  const digest = sha256(content);
  const outcome = await registryFor(stores).registry.pushManifest({
    repo,
    manifest: { digest, mediaType: "application/vnd.oci.image.manifest.v1+json", content, blobDigests: layers, childDigests: [] },
    requiredBlobs: layers.filter((d) => !foreign.includes(d)),
    tag,
    actor,
  });
  return { digest, outcome };
}

const nsId = async (stores: Stores, name: string) => (await stores.namespaces.settings(name))!.id;
const usage = async (stores: Stores, ns: string) => stores.quotaUsage.namespaceBytes(await nsId(stores, ns));
const truth = async (stores: Stores, ns: string) => stores.quotaUsage.recompute(await nsId(stores, ns));

describe("usage counts what the namespace's manifests name, each blob once", () => {
  test("a layer shared by two repositories of one namespace counts once; another namespace counts it too", async () => {
    const stores = s.get();
    const a = (await repoRef(stores, "acme/a"));
    const b = (await repoRef(stores, "acme/b"));
    const other = (await repoRef(stores, "other/c"));
    const shared = sha256("shared");
    const own = sha256("own");
    await upload(stores, a, shared, 1000);
    await upload(stores, a, own, 10);
    // Uploaded but named by no manifest: not usage (it is garbage until a manifest names it).
    expect(await usage(stores, "acme")).toBe(0);
    expect((await push(stores, a, [shared, own], "v1")).outcome).toEqual({ kind: "ok" });
    expect(await usage(stores, "acme")).toBe(1010);
    expect(await registryFor(stores).registry.mountBlob({ repo: b, from: a, digest: shared, actor })).toMatchObject({ kind: "ok" });
    await push(stores, b, [shared], "v1");
    expect(await usage(stores, "acme")).toBe(1010);
    await registryFor(stores).registry.mountBlob({ repo: other, from: a, digest: shared, actor });
    await push(stores, other, [shared], "v1");
    expect(await usage(stores, "other")).toBe(1000);
    expect(await stores.quotaUsage.repositoriesBytes([a.id, b.id, other.id])).toEqual(new Map([[a.id, 1010], [b.id, 1000], [other.id, 1000]]));
  });

  test("deleting a manifest gives back only what no other manifest of the namespace names", async () => {
    const stores = s.get();
    const a = (await repoRef(stores, "acme/a"));
    const b = (await repoRef(stores, "acme/b"));
    const base = sha256("base");
    const top = sha256("top");
    await upload(stores, a, base, 500);
    await upload(stores, a, top, 50);
    await upload(stores, b, base, 500);
    const first = await push(stores, a, [base, top], "v1");
    await push(stores, b, [base], "v1");
    expect(await usage(stores, "acme")).toBe(550);
    // Deleting a tag keeps its manifest (and its bytes) until the manifest itself goes.
    await registryFor(stores).registry.deleteTag({ repo: a, tag: "v1", actor });
    expect(await usage(stores, "acme")).toBe(550);
    await registryFor(stores).registry.deleteManifest({ repo: a, digest: first.digest, actor });
    expect(await usage(stores, "acme")).toBe(500);
    await registryFor(stores).registry.deleteRepository({ repo: b, actor });
    expect(await usage(stores, "acme")).toBe(0);
    expect(await truth(stores, "acme")).toBe(0);
  });
});

describe("the maintained figure equals a recomputation", () => {
  test("after hundreds of random pushes, mounts, tag moves and deletions by every path", async () => {
    const stores = s.get();
    const { registry } = registryFor(stores);
    // mulberry32: a seeded generator, so a failure replays.
    let seed = 42;
    const rand = (n: number) => {
      seed = (seed + 0x6d2b79f5) | 0;
      let t = Math.imul(seed ^ (seed >>> 15), 1 | seed);
      t = (t + Math.imul(t ^ (t >>> 7), 61 | t)) ^ t;
      return (((t ^ (t >>> 14)) >>> 0) % n);
    };
    const seen: Record<string, number> = {};
    const names = ["acme/a", "acme/b", "acme/deep/c", "beta/a", "beta/b"];
    const pool = Array.from({ length: 14 }, (_, i) => ({ digest: sha256(`blob-${i}`), size: 1 + rand(5000) }));
    // A foreign layer: named by manifests, its row (and size) appears only later.
    const foreign = { digest: sha256("foreign"), size: 777 };
    const pushed: { repo: string; digest: string }[] = [];
    // Namespaces every other step, repositories every tenth (recomputing is the slow part).
    const check = async (step: number) => {
      if (step % 2) return;
      for (const ns of ["acme", "beta"]) {
        if (!await stores.namespaces.settings(ns)) continue;
        expect(await usage(stores, ns)).toBe(await truth(stores, ns));
      }
      if (step % 10) return;
      for (const name of names) {
        const r = (await stores.repositories.find(name));
        if (r) expect((await stores.quotaUsage.repositoriesBytes([r.id])).get(r.id)).toBe(await stores.quotaUsage.recomputeRepository(r.id));
      }
    };
    const count = (what: string) => (seen[what] = (seen[what] ?? 0) + 1);
    for (let step = 0; step < 400; step++) {
      const repo = (await repoRef(stores, names[rand(names.length)]!));
      const ns = repo.name.slice(0, repo.name.indexOf("/"));
      const op = rand(20);
      if (op < 5) {
        const b = pool[rand(pool.length)]!;
        await upload(stores, repo, b.digest, b.size);
      } else if (op < 11) {
        const linked: string[] = [];
        for (const b of pool) if ((await stores.blobLinks.linkedSize(repo.id, b.digest)) !== undefined) linked.push(b.digest);
        const layers = linked.filter(() => rand(2) === 0);
        if (rand(4) === 0) layers.push(foreign.digest);
        const out = await push(stores, repo, layers, rand(2) ? `t${rand(3)}` : undefined, [foreign.digest]);
        if (out.outcome.kind === "ok") pushed.push({ repo: repo.name, digest: out.digest });
      } else if (op < 13) {
        const from = (await repoRef(stores, names[rand(names.length)]!));
        if ((await registry.mountBlob({ repo, from, digest: pool[rand(pool.length)]!.digest, actor })).kind === "ok") count("mount");
      } else if (op === 13 && pushed.length) {
        const m = pushed.splice(rand(pushed.length), 1)[0]!;
        const r = (await stores.repositories.find(m.repo));
        if (r && (await registry.deleteManifest({ repo: { id: r.id, name: r.fullName }, digest: m.digest, actor })).kind === "ok") count("deleteManifest");
      } else if (op === 14 && pushed.length) {
        // A collector deleting manifest rows itself (another branch's, or a future one).
        const m = pushed.splice(rand(pushed.length), 1)[0]!;
        if (stores.db.delete(manifests).where(eq(manifests.digest, m.digest)).returning().all().length) count("collected");
      } else if (op === 15) {
        if ((await registry.deleteTag({ repo, tag: `t${rand(3)}`, actor })).kind === "ok") count("deleteTag");
      } else if (op === 16 && rand(2) === 0) {
        if (await usage(stores, ns) > 0) count("deleteUsedRepository");
        await registry.deleteRepository({ repo, actor });
      } else if (op === 17 && rand(4) === 0) {
        if (await usage(stores, ns) > 0) count("removeUsedNamespace");
        await removeNamespace(stores, ns);
      } else if (op === 18) {
        // The foreign layer's blob arrives (or leaves again): its bytes count where manifests name it.
        if (rand(2)) stores.db.insert(blobs).values({ digest: foreign.digest, size: foreign.size }).onConflictDoNothing().run();
        else stores.db.delete(blobs).where(eq(blobs.digest, foreign.digest)).run();
        count("foreignRow");
      }
      await check(step);
    }
    await check(0);
    // Every path ran.
    for (const what of ["mount", "deleteManifest", "collected", "deleteTag", "deleteUsedRepository", "removeUsedNamespace", "foreignRow"]) expect(seen[what] ?? 0).toBeGreaterThan(0);
    expect((await stores.quotaUsage.reconcile()).drifted).toEqual([]);
  });

  test("reconcile finds a namespace whose figure drifted and repairs it", async () => {
    const stores = s.get();
    const a = (await repoRef(stores, "acme/a"));
    const layer = sha256("layer");
    await upload(stores, a, layer, 300);
    await push(stores, a, [layer], "v1");
    const id = await nsId(stores, "acme");
    stores.db.update(namespaceUsage).set({ sizeBytes: 5 }).where(eq(namespaceUsage.namespaceId, id)).run();
    // The lifecycle pass that runs it says what it repaired.
    expect(await quotaUsageTask(stores.quotaUsage).run(Date.now(), new AbortController().signal)).toBe(`1 namespaces checked, 1 repaired (namespace ${id}: 5 → 300 bytes)`);
    expect(await usage(stores, "acme")).toBe(300);
    expect((await stores.quotaUsage.reconcile()).drifted).toEqual([]);
    // A reference count gone wrong is drift too, even while the bytes still agree.
    stores.db.update(namespaceBlobRefs).set({ refs: 7 }).where(eq(namespaceBlobRefs.namespaceId, id)).run();
    expect((await stores.quotaUsage.reconcile()).drifted).toEqual([{ namespaceId: id, maintained: 300, actual: 300 }]);
    expect(stores.db.select().from(namespaceBlobRefs).where(eq(namespaceBlobRefs.namespaceId, id)).all()).toEqual([{ namespaceId: id, digest: layer, refs: 1 }]);
  });
});

describe("the migration", () => {
  test("counts what a registry held before quotas existed", async () => {
    const dir = tempDir("berth-quota-migration-");
    let stores = openStores({ dataDir: dir, uploadTtlMs: 60_000 });
    try {
      const a = (await repoRef(stores, "acme/a"));
      const b = (await repoRef(stores, "acme/b"));
      const shared = sha256("shared");
      await upload(stores, a, shared, 1000);
      await upload(stores, b, shared, 1000);
      await upload(stores, b, sha256("own"), 10);
      await push(stores, a, [shared], "v1");
      await push(stores, b, [shared, sha256("own")], "v1");
      // As before migration 0010: no triggers, no counts, the migration not applied.
      const journal = JSON.parse(readFileSync(join(import.meta.dir, "../../../src/store/migrations/meta/_journal.json"), "utf8")) as { entries: { tag: string; when: number }[] };
      const when = journal.entries.find((e) => e.tag === "0012_quota_usage_triggers")!.when;
      for (const t of ["quota_count_manifest_blob", "quota_uncount_manifest", "quota_count_repository_blob", "quota_uncount_repository_blob", "quota_count_blob_row", "quota_uncount_blob_row"])
        stores.db.$client.exec(`DROP TRIGGER ${t}`);
      stores.db.$client.exec("DELETE FROM repository_blob_refs; DELETE FROM namespace_blob_refs; DELETE FROM namespace_usage; DELETE FROM repository_usage");
      // Migrations after it are undone too (the migrator applies only what is newer than the last row).
      stores.db.$client.exec("DROP TABLE IF EXISTS repo_mirrors; DROP TABLE IF EXISTS proxy_cache_tags; DROP TABLE IF EXISTS proxy_cache_configs; DROP TABLE IF EXISTS blob_deletions; DROP TABLE IF EXISTS s3_uploads");
      stores.db.$client.run("DELETE FROM __drizzle_migrations WHERE created_at >= ?", [when]);
      expect(await usage(stores, "acme")).toBe(0);
      await stores.close();
      stores = openStores({ dataDir: dir, uploadTtlMs: 60_000 });
      expect(await usage(stores, "acme")).toBe(1010);
      expect(await stores.quotaUsage.repositoriesBytes([a.id, b.id])).toEqual(new Map([[a.id, 1000], [b.id, 1010]]));
      expect((await stores.quotaUsage.reconcile()).drifted).toEqual([]);
    } finally {
      await stores.close();
      rmSync(dir, { recursive: true, force: true });
    }
  });
});
