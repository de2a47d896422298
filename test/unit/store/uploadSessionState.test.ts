// Upload sessions' state outside their rows (src/store/uploadState.ts): the in-process locks and
// hash states, and what UploadSessions promises with them, including two nodes that share the
// rows, the files and a lock service but each keep their own hash states.
import { afterEach, beforeEach, describe, expect, test } from "bun:test";
import { rmSync } from "node:fs";
import { parseDigest, type Digest } from "../../../src/oci";
import { openStores, type SqliteStores as Stores } from "../../../src/store";
import type { BlobStore } from "../../../src/store/blobs/blobStore";
import { UploadRowStore } from "../../../src/store/meta/uploads";
import { sqliteRunner } from "../../../src/store/dialect/sqliteRunner";
import { UploadSessions } from "../../../src/store/uploadSessions";
import { InProcessUploadHashStates, InProcessUploadLocks, type UploadLocks } from "../../../src/store/uploadState";
import { tempDir } from "../../support/server";

const body = (s: string) => new Response(s).body;
function digest(s: string): Digest {
  const d = parseDigest(`sha256:${new Bun.CryptoHasher("sha256").update(s).digest("hex")}`);
  if (!d.ok) throw new Error("bad");
  return d.digest;
}
const hashed = (s: string, offset = s.length) => ({ hasher: new Bun.CryptoHasher("sha256").update(s), offset });

describe("InProcessUploadLocks", () => {
  test("one holder per session; another session is free; unlocking frees it", async () => {
    const locks = new InProcessUploadLocks();
    expect(await locks.tryLock("a")).toBe(true);
    expect(await locks.tryLock("a")).toBe(false);
    expect(await locks.tryLock("b")).toBe(true);
    await locks.unlock("a");
    expect(await locks.tryLock("a")).toBe(true);
  });
});

describe("InProcessUploadHashStates", () => {
  test("take hands out a state only at its offset, and only once", () => {
    const states = new InProcessUploadHashStates();
    const s = hashed("abc");
    states.put("u", s);
    expect(states.take("u", 3)).toBe(s);
    expect(states.take("u", 3)).toBeUndefined(); // checked out: the caller puts it back
    states.put("u", s);
    expect(states.take("u", 2)).toBeUndefined(); // another offset: dropped, not kept
    expect(states.take("u", 3)).toBeUndefined();
    states.put("u", s);
    states.delete("u");
    expect(states.size).toBe(0);
  });

  test("bounded: past maxEntries the oldest state goes", () => {
    const states = new InProcessUploadHashStates(2);
    states.put("a", hashed("a"));
    states.put("b", hashed("b"));
    states.put("c", hashed("c"));
    expect(states.size).toBe(2);
    expect(states.take("a", 1)).toBeUndefined();
    expect(states.take("c", 1)).toBeDefined();
  });
});

describe("UploadSessions with its state", () => {
  let dir: string;
  let stores: Stores;
  let repoId: number;
  beforeEach(async () => {
    dir = tempDir("berth-upstate-");
    stores = openStores({ dataDir: dir, uploadTtlMs: 3600_000 });
    repoId = (await stores.repositories.ensure("ns/app")).id;
  });
  afterEach(async () => {
    await stores.close();
    rmSync(dir, { recursive: true, force: true });
  });

  /** A node: its own hash states (a hasher cannot leave its process), the given lock service and blob store. */
  const node = (locks: UploadLocks, blobs: BlobStore = stores.blobs) =>
    new UploadSessions(new UploadRowStore(sqliteRunner(stores.db)), blobs, { locks, hashes: new InProcessUploadHashStates() }, 3600_000);
  const open = async (uploads: UploadSessions) => {
    const started = await uploads.start(repoId);
    if (started.kind !== "ok") throw new Error("no session");
    return started.id;
  };

  test("a session held elsewhere is busy for append, finish and cancel, and the sweep leaves it", async () => {
    const heldElsewhere = new Set<string>();
    const locks: UploadLocks = {
      tryLock: async (id) => !heldElsewhere.has(id),
      unlock: async () => {},
    };
    const uploads = node(locks);
    const id = await open(uploads);
    expect(await uploads.append(repoId, id, body("abc"))).toEqual({ kind: "ok", offset: 3 });
    heldElsewhere.add(id);
    expect(await uploads.append(repoId, id, body("def"))).toEqual({ kind: "busy", offset: 3 });
    expect(await uploads.finish(repoId, id, digest("abc"), null, undefined, () => {})).toEqual({ kind: "busy", offset: 3 });
    expect(await uploads.cancel(repoId, id)).toEqual({ kind: "busy", offset: 3 });
    expect((await uploads.sweep(Date.now() + 7200_000)).removed).toBe(0); // expired, but held
    expect(await stores.blobs.listUploads()).toEqual([id]);
    heldElsewhere.delete(id);
    expect(await uploads.cancel(repoId, id)).toEqual({ kind: "ok" });
    expect(await uploads.cancel(repoId, id)).toEqual({ kind: "unknown" });
  });

  test("two concurrent appends to one session: the second is busy, the bytes are the first's", async () => {
    const uploads = node(new InProcessUploadLocks());
    const id = await open(uploads);
    let release!: () => void;
    const slow = new ReadableStream<Uint8Array>({
      async pull(c) {
        c.enqueue(new TextEncoder().encode("first"));
        await new Promise<void>((r) => (release = r));
        c.close();
      },
    });
    const first = uploads.append(repoId, id, slow);
    await Bun.sleep(5);
    expect(await uploads.append(repoId, id, body("second"))).toEqual({ kind: "busy", offset: 0 });
    release();
    expect(await first).toEqual({ kind: "ok", offset: 5 });
    expect(await uploads.finish(repoId, id, digest("first"), null, undefined, () => {})).toEqual({ kind: "ok", size: 5 });
  });

  test("nodes sharing locks: a session continues on another node, which re-reads what it did not hash", async () => {
    const locks = new InProcessUploadLocks();
    const a = node(locks);
    const b = node(locks);
    const id = await open(a);
    expect(await a.append(repoId, id, body("hello "))).toEqual({ kind: "ok", offset: 6 });
    expect(await b.append(repoId, id, body("world"))).toEqual({ kind: "ok", offset: 11 });
    // a's state is at 6, the row at 11: a must not trust it.
    expect(await a.finish(repoId, id, digest("hello world!"), body("!"), undefined, () => {})).toEqual({ kind: "ok", size: 12 });
    expect(await stores.blobs.read(digest("hello world!").value).text()).toBe("hello world!");
  });

  test("refused bytes never count towards a digest: a chunk refused on one node, other bytes pushed on another", async () => {
    const locks = new InProcessUploadLocks();
    const a = node(locks);
    const b = node(locks);
    const id = await open(a);
    // The chunk disagrees with its Content-Range: not counted, its bytes dropped by the next append.
    expect((await a.append(repoId, id, body("abc"), { start: 0, end: 9 })).kind).toBe("rangeMismatch");
    expect(await b.append(repoId, id, body("xyz"))).toEqual({ kind: "ok", offset: 3 });
    // Finishing on a with the digest of the refused bytes must not store "xyz" under it.
    const out = await a.finish(repoId, id, digest("abc"), null, undefined, () => {});
    expect(out).toEqual({ kind: "digestMismatch", actual: digest("xyz").value });
    expect((await stores.blobs.stat(digest("abc").value)).exists).toBe(false);
    expect(await a.finish(repoId, id, digest("xyz"), null, undefined, () => {})).toEqual({ kind: "ok", size: 3 });
  });

  test("an append that fails half-way leaves no hash state that has seen bytes the row does not count", async () => {
    let failNext = false;
    const blobs: BlobStore = Object.create(stores.blobs);
    blobs.appendUpload = async (id, offset, stream, onChunk) => {
      if (!failNext) return stores.blobs.appendUpload(id, offset, stream, onChunk);
      failNext = false;
      onChunk(new TextEncoder().encode("junk")); // hashed, then the disk gives up
      throw new Error("EIO");
    };
    const uploads = node(new InProcessUploadLocks(), blobs);
    const id = await open(uploads);
    expect(await uploads.append(repoId, id, body("abc"))).toEqual({ kind: "ok", offset: 3 });
    failNext = true;
    await expect(uploads.append(repoId, id, body("junk"))).rejects.toThrow("EIO");
    expect(await uploads.offset(repoId, id)).toBe(3);
    expect(await uploads.finish(repoId, id, digest("abcdef"), body("def"), undefined, () => {})).toEqual({ kind: "ok", size: 6 });
  });

  test("the sweep keeps the file of a session started while it lists the upload files", async () => {
    let startDuringListing: (() => Promise<unknown>) | undefined;
    const blobs: BlobStore = Object.create(stores.blobs);
    blobs.listUploads = async () => {
      await startDuringListing?.();
      return stores.blobs.listUploads();
    };
    const uploads = node(new InProcessUploadLocks(), blobs);
    let id: string | undefined;
    startDuringListing = async () => (id = await open(uploads));
    expect((await uploads.sweep()).removed).toBe(0);
    expect(await uploads.offset(repoId, id!)).toBe(0);
    expect(await uploads.append(repoId, id!, body("abc"))).toEqual({ kind: "ok", offset: 3 });
  });
});
