// Two Berth nodes over one PostgreSQL database and one S3 bucket prefix (two pools, two blob store
// clients): one collects while both push the same digests. No blob row, and no blob a manifest
// names, is ever left without its object (issue 14: "no blob lost"); a crash between a
// deletion's announcement and its end is recovered. Real PostgreSQL and Ceph RGW; skipped with a
// message when BERTH_TEST_DATABASE or BERTH_TEST_S3 is unset.
import { beforeEach, describe, expect, test } from "bun:test";
import { hostname } from "node:os";
import { and, eq } from "drizzle-orm";
import { RegistryEvents, SYSTEM_ACTOR, type RepoRef } from "../../../src/events/registryEvents";
import { createLogger } from "../../../src/log";
import { parseDigest } from "../../../src/oci";
import { Collector } from "../../../src/registry/lifecycle/collector";
import { Registry } from "../../../src/registry/registry";
import { BLOB_DELETION_ABANDONED_MS } from "../../../src/store/blobDeletions";
import { S3BlobStore } from "../../../src/store/blobs/s3BlobStore";
import { pgRunner } from "../../../src/store/dialect/pgRunner";
import { all, type Runner } from "../../../src/store/dialect/program";
import { CollectionReads } from "../../../src/store/meta/collection";
import { QuotaStore } from "../../../src/store/meta/quotas";
import { QuotaUsageStore } from "../../../src/store/meta/quotaUsage";
import { UploadRowStore } from "../../../src/store/meta/uploads";
import type { PgMetaDb } from "../../../src/store/pg/open";
import { RegistryWrites } from "../../../src/store/registryWrites";
import { UploadSessions } from "../../../src/store/uploadSessions";
import { InProcessUploadHashStates, InProcessUploadLocks } from "../../../src/store/uploadState";
import { freshS3Store, S3_SKIP_MESSAGE, testS3Settings } from "../../support/s3";
import { addRepository } from "../store/eachDialect";
import { testDatabaseUrl, twoNodes } from "../store/pgScratch";

const DAY = 86_400_000;
const actor = SYSTEM_ACTOR;
const sha256 = (bytes: Uint8Array) => `sha256:${new Bun.CryptoHasher("sha256").update(bytes).digest("hex")}`;
/** A pass "later": every file counts as older than the collector's minute, every link as past its grace. */
const LATER = 10 * 60_000;

const url = testDatabaseUrl(import.meta.file);
const s3 = testS3Settings();
if (!s3) console.warn(`${import.meta.file}: ${S3_SKIP_MESSAGE}`);

/** One Berth node: its own pool, its own S3 client on the shared prefix, its own clock. */
function nodeOver(db: PgMetaDb, blobs: S3BlobStore) {
  const runner = pgRunner(db);
  let skew = 0;
  const clock = () => Date.now() + skew;
  const writes = new RegistryWrites(runner, { clear() {} }, { quotas: new QuotaStore(runner), quotaUsage: new QuotaUsageStore(runner) }, clock);
  const uploads = new UploadSessions(new UploadRowStore(runner), blobs, { locks: new InProcessUploadLocks(), hashes: new InProcessUploadHashStates() }, DAY);
  const registry = new Registry({ writes, events: new RegistryEvents(createLogger({ requests: false, write: () => {} })), uploads });
  const reads = new CollectionReads(runner);
  const collector = new Collector({ registry, reads, blobs, uploads }, { graceMs: 0, batchSize: 20, pace: { share: 1 } });
  return {
    runner,
    blobs,
    registry,
    uploads,
    /** Moves this node's clock (the registry's transactions read it). */
    skew: (ms: number) => (skew += ms),
    collect: () => collector.collect(clock() + LATER),
    /** Pushes the bytes through an upload session (POST, then PUT with the body). */
    async push(repo: RepoRef, bytes: Uint8Array) {
      const parsed = parseDigest(sha256(bytes));
      if (!parsed.ok) throw new Error("digest");
      for (;;) {
        const started = await registry.startUpload({ repo, actor });
        if (started.kind !== "ok") return started;
        const out = await registry.finishUpload({ repo, session: started.id, digest: parsed.digest, body: new Response(bytes).body, range: undefined, actor });
        // The other node's pass runs ten minutes ahead and its in-process upload locks do not
        // see this node's: it may sweep a session it takes for idle (an artefact of the test's clock).
        if (out.kind !== "unknown" && out.kind !== "busy") return out;
      }
    },
  };
}
type Node = ReturnType<typeof nodeOver>;

/** Every blob row and every digest a manifest names, with whether its object is in the bucket. */
async function lostBlobs(node: Node): Promise<string[]> {
  const named = await node.runner.run(function* ({ db, t }) {
    const rows = yield* all(db.select({ digest: t.blobs.digest }).from(t.blobs));
    const listed = yield* all(db.select({ digest: t.manifestBlobs.digest }).from(t.manifestBlobs));
    return [...new Set([...rows, ...listed].map((r) => r.digest))];
  });
  const lost: string[] = [];
  for (const digest of named) if (!(await node.blobs.stat(digest)).exists) lost.push(digest);
  return lost;
}

function deletionsStanding(runner: Runner): Promise<{ digest: string; startedMs: number }[]> {
  return runner.run(function* ({ db, t }) {
    return yield* all(db.select().from(t.blobDeletions));
  });
}

function hasRow(runner: Runner, digest: string): Promise<boolean> {
  return runner.run(function* ({ db, t }) {
    return (yield* all(db.select({ d: t.blobs.digest }).from(t.blobs).where(eq(t.blobs.digest, digest)))).length > 0;
  });
}

function hasLink(runner: Runner, repo: RepoRef, digest: string): Promise<boolean> {
  return runner.run(function* ({ db, t }) {
    return (yield* all(db.select({ d: t.repositoryBlobs.digest }).from(t.repositoryBlobs).where(and(eq(t.repositoryBlobs.repositoryId, repo.id), eq(t.repositoryBlobs.digest, digest))))).length > 0;
  });
}

/** Puts bytes in the bucket with no row, as a refused push or a freed blob leaves them. */
async function rowlessObject(blobs: S3BlobStore, bytes: Uint8Array): Promise<string> {
  const id = crypto.randomUUID();
  await blobs.createUpload(id);
  await blobs.appendUpload(id, 0, new Response(bytes).body, () => {});
  await blobs.commitUpload(id, sha256(bytes));
  return sha256(bytes);
}

const random = (n: number) => crypto.getRandomValues(new Uint8Array(n));

describe.skipIf(!url || !s3)("the collector on one node, pushes on another (PostgreSQL, S3)", () => {
  const pools = twoNodes(url ?? "");
  let a: Node;
  let b: Node;
  let repo: RepoRef;

  beforeEach(async () => {
    await pools.a.$client.unsafe(
      "TRUNCATE blob_deletions, blobs, repository_blobs, manifests, manifest_blobs, manifest_children, tags, uploads, repositories, namespaces RESTART IDENTITY CASCADE",
    );
    const { store, prefix, records } = await freshS3Store();
    a = nodeOver(pools.a, store);
    b = nodeOver(pools.b, await new S3BlobStore({ ...s3!, prefix }, records).open());
    repo = { id: await addRepository(a.runner, "org/app"), name: "org/app" };
  });

  test("a push landing between the collector's copy aside and its delete keeps its object", async () => {
    const bytes = random(4096);
    const digest = await rowlessObject(a.blobs, bytes);
    // Node B's push of the same bytes: committed into the bucket while node A deletes, its row
    // written only once A's deletion is over (a slow database, a busy node).
    let rowMayGo!: () => void;
    const rowGate = new Promise<void>((r) => (rowMayGo = r));
    let committed!: () => void;
    const bCommitted = new Promise<void>((r) => (committed = r));
    const commit = b.blobs.commitUpload.bind(b.blobs);
    b.blobs.commitUpload = async (id, d, opts) => {
      await commit(id, d, opts);
      committed();
      await rowGate;
    };
    let pushing: ReturnType<Node["push"]> | undefined;
    const copy = a.blobs.api.copy.bind(a.blobs.api);
    a.blobs.api.copy = async (from, to, size, cond) => {
      await copy(from, to, size, cond);
      if (to.includes("/trash/") && !pushing) {
        pushing = b.push(repo, bytes);
        await bCommitted;
      }
    };
    const report = await a.collect();
    expect(pushing).toBeDefined();
    expect(report.filesRemoved).toBe(1);
    rowMayGo();
    expect((await pushing!).kind).toBe("ok");
    expect(await hasRow(a.runner, digest)).toBe(true);
    expect(await lostBlobs(a)).toEqual([]);
    expect(new Uint8Array(await a.blobs.read(digest).arrayBuffer())).toEqual(bytes);
    expect(await deletionsStanding(a.runner)).toEqual([]);
  });

  test("a push whose row comes while the deletion is under way waits for it, then puts its bytes back", async () => {
    const bytes = random(4096);
    const digest = await rowlessObject(a.blobs, bytes);
    let pushing: ReturnType<Node["push"]> | undefined;
    const during = { standing: 0, row: true };
    const copy = a.blobs.api.copy.bind(a.blobs.api);
    a.blobs.api.copy = async (from, to, size, cond) => {
      await copy(from, to, size, cond);
      if (!to.includes("/trash/") || pushing) return;
      pushing = b.push(repo, bytes);
      // Long enough for B's commit and several tries of its row, all while the deletion stands.
      await Bun.sleep(400);
      during.standing = (await deletionsStanding(b.runner)).length;
      during.row = await hasRow(b.runner, digest);
    };
    await a.collect();
    expect(during).toEqual({ standing: 1, row: false });
    expect((await pushing!).kind).toBe("ok");
    expect(await lostBlobs(a)).toEqual([]);
    expect(new Uint8Array(await b.blobs.read(digest).arrayBuffer())).toEqual(bytes);
  });

  test("many interleavings: pushes and unlinks on both nodes while node A collects pass after pass", async () => {
    const repos = new Map<Node, RepoRef>([
      [a, repo],
      [b, { id: await addRepository(b.runner, "org/other"), name: "org/other" }],
    ]);
    const pool = Array.from({ length: 2 }, () => random(2048));
    // Jitter where the race lives: between node A's copy aside and its delete, and between a
    // push's commit into the bucket and its row (a busy node, a slow database).
    const copy = a.blobs.api.copy.bind(a.blobs.api);
    a.blobs.api.copy = async (from, to, size, cond) => {
      await copy(from, to, size, cond);
      if (to.includes("/trash/")) await Bun.sleep(Math.random() * 40);
    };
    for (const node of [a, b]) {
      const commit = node.blobs.commitUpload.bind(node.blobs);
      node.blobs.commitUpload = async (id, d, opts) => {
        await commit(id, d, opts);
        await Bun.sleep(Math.random() * 60);
      };
    }
    let stop = false;
    const collecting = (async () => {
      let passes = 0;
      let freed = 0;
      while (!stop || passes < 2) {
        freed += (await a.collect()).filesRemoved;
        passes++;
      }
      return { passes, freed };
    })();
    const pusher = async (node: Node, rounds: number) => {
      for (let i = 0; i < rounds; i++) {
        const bytes = pool[Math.floor(Math.random() * pool.length)]!;
        const repo = repos.get(node)!;
        const out = await node.push(repo, bytes);
        expect(out.kind).toBe("ok");
        // Right after the push answered, its object is there, or the collector has taken its link
        // (no grace here) and then its row. Asked in that order: only this pusher links into its
        // repository, so a link there now was there all along, and its row with it.
        if (!(await node.blobs.stat(sha256(bytes))).exists) expect(await hasLink(node.runner, repo, sha256(bytes))).toBe(false);
        // Unlinked, the blob's row and then its object go in one of the next passes, unless a push comes first.
        if (Math.random() < 0.7) await node.registry.unlinkBlob({ repo, digest: sha256(bytes), actor });
        await Bun.sleep(Math.random() * 10);
      }
    };
    const pushed = await Promise.allSettled([pusher(a, 40), pusher(b, 40)]);
    stop = true;
    const { passes, freed } = await collecting;
    for (const p of pushed) if (p.status === "rejected") throw p.reason;
    expect(passes).toBeGreaterThanOrEqual(2);
    // Objects went while pushes of the same digests came: the race was run, not avoided.
    expect(freed).toBeGreaterThan(5);
    expect(await lostBlobs(a)).toEqual([]);
    expect(await deletionsStanding(a.runner)).toEqual([]);
  });

  test("a crash after the announcement: the next pass clears it and frees the bytes; a push waits, then takes it over", async () => {
    const bytes = random(1024);
    const digest = await rowlessObject(a.blobs, bytes);
    // Step 1 of a deletion, then the collector is gone.
    expect((await a.registry.announceBlobDeletions({ digests: [digest], owner: "elsewhere/1" })).digests).toEqual([digest]);
    expect(await deletionsStanding(a.runner)).toHaveLength(1);

    // While the announcement is young, a push of the digest does not write its row.
    let settled = false;
    const pushing = b.push(repo, bytes).finally(() => (settled = true));
    await Bun.sleep(300);
    expect(settled).toBe(false);
    expect(await hasRow(a.runner, digest)).toBe(false);
    // Node B's clock passes the bound: the push takes the abandoned announcement over.
    b.skew(BLOB_DELETION_ABANDONED_MS + 1000);
    expect((await pushing).kind).toBe("ok");
    expect(await deletionsStanding(a.runner)).toEqual([]);
    expect(await lostBlobs(a)).toEqual([]);

    // Another digest: nobody pushes it; the next pass (past the bound) clears the announcement and frees the bytes.
    const other = await rowlessObject(a.blobs, random(1024));
    await a.registry.announceBlobDeletions({ digests: [other], owner: "elsewhere/1" });
    await a.collect();
    expect((await a.blobs.stat(other)).exists).toBe(true);
    expect(await deletionsStanding(a.runner)).toHaveLength(1);
    a.skew(BLOB_DELETION_ABANDONED_MS + 1000);
    await a.collect();
    expect((await a.blobs.stat(other)).exists).toBe(false);
    expect(await deletionsStanding(a.runner)).toEqual([]);
    expect(await lostBlobs(a)).toEqual([]);
  });

  test("a collector killed mid-deletion on this host: the next pass clears its announcements at once and frees the bytes", async () => {
    const digest = await rowlessObject(a.blobs, random(1024));
    // A process of this host that has ended (a child that exited) announced it.
    const child = Bun.spawn(["true"]);
    await child.exited;
    await a.registry.announceBlobDeletions({ digests: [digest], owner: `${hostname()}/${child.pid}` });
    await a.collect();
    expect((await a.blobs.stat(digest)).exists).toBe(false);
    expect(await deletionsStanding(a.runner)).toEqual([]);
  });
});
