// The contract every BlobStore implementation must pass (filesystem today, S3 later).
import { describe, expect, test } from "bun:test";
import type { BlobStore } from "../../../src/store/blobs/blobStore";

const enc = new TextEncoder();
const sha256 = (b: Uint8Array | string) => `sha256:${new Bun.CryptoHasher("sha256").update(b).digest("hex")}`;

function streamOf(...parts: (string | Error)[]): ReadableStream<Uint8Array> {
  return new ReadableStream({
    pull(controller) {
      const next = parts.shift();
      if (next === undefined) controller.close();
      else if (next instanceof Error) controller.error(next);
      else controller.enqueue(enc.encode(next));
    },
  });
}

/** A body that hands out exactly these chunk objects (a store may release each once written). */
export function chunkStream(chunks: Uint8Array[]): ReadableStream<Uint8Array> {
  return new ReadableStream({
    start(controller) {
      for (const c of chunks) controller.enqueue(c);
      controller.close();
    },
  });
}

async function commit(store: BlobStore, content: string): Promise<string> {
  const id = crypto.randomUUID();
  await store.createUpload(id);
  await store.appendUpload(id, 0, streamOf(content), () => {});
  const digest = sha256(content);
  await store.commitUpload(id, digest);
  return digest;
}

export function blobStoreSuite(name: string, make: () => Promise<{ store: BlobStore; cleanup(): Promise<void> }>) {
  describe(`BlobStore contract: ${name}`, () => {
    test("an upload appended in parts commits to its content address and reads back whole and in ranges", async () => {
      const { store, cleanup } = await make();
      const id = crypto.randomUUID();
      await store.createUpload(id);
      const seen: string[] = [];
      const a = await store.appendUpload(id, 0, streamOf("hello ", "wor"), (c) => seen.push(new TextDecoder().decode(c)));
      expect(a).toEqual({ written: 9, aborted: false });
      const b = await store.appendUpload(id, 9, streamOf("ld"), () => {});
      expect(b.written).toBe(2);
      expect(await store.uploadSize(id)).toBe(11);
      expect(seen.join("")).toBe("hello wor");
      const digest = sha256("hello world");
      await store.commitUpload(id, digest);
      expect(await store.uploadSize(id)).toBeNull();
      expect(await store.stat(digest)).toMatchObject({ exists: true, size: 11 });
      expect(await store.read(digest).text()).toBe("hello world");
      expect(await store.read(digest, { start: 6, end: 10 }).text()).toBe("world");
      await cleanup();
    });

    test("appending at an offset drops bytes beyond it (left by a crash or a refused chunk)", async () => {
      const { store, cleanup } = await make();
      const id = crypto.randomUUID();
      await store.createUpload(id);
      await store.appendUpload(id, 0, streamOf("abcdefgh"), () => {});
      await store.appendUpload(id, 3, streamOf("XY"), () => {});
      expect(await store.uploadSize(id)).toBe(5);
      const replayed: string[] = [];
      await store.replayUpload(id, 5, (c) => replayed.push(new TextDecoder().decode(c)));
      expect(replayed.join("")).toBe("abcXY");
      await cleanup();
    });

    test("a body that breaks part way keeps the bytes before the break and reports it", async () => {
      const { store, cleanup } = await make();
      const id = crypto.randomUUID();
      await store.createUpload(id);
      const res = await store.appendUpload(id, 0, streamOf("1234", new Error("client hung up")), () => {});
      expect(res).toEqual({ written: 4, aborted: true });
      expect(await store.uploadSize(id)).toBe(4);
      await cleanup();
    });

    test("unknown blobs and uploads are ordinary answers, and cancelled uploads vanish", async () => {
      const { store, cleanup } = await make();
      expect(await store.stat(sha256("nothing"))).toEqual({ exists: false });
      expect(await store.uploadSize(crypto.randomUUID())).toBeNull();
      const id = crypto.randomUUID();
      await store.createUpload(id);
      expect(await store.listUploads()).toContain(id);
      await store.deleteUpload(id);
      expect(await store.listUploads()).not.toContain(id);
      await store.deleteUpload(id); // idempotent
      await cleanup();
    });

    test("list() yields stored digests; deleteUnreferenced honours the grace period and late references", async () => {
      const { store, cleanup } = await make();
      const d1 = await commit(store, "one");
      const d2 = await commit(store, "two");
      const listed: string[] = [];
      for await (const d of store.list()) listed.push(d);
      expect(listed).toEqual([d1, d2].sort()); // in digest order
      const later = Date.now() + 1000;
      expect(await store.deleteUnreferenced(d1, Date.now() - 60_000, () => false)).toBeUndefined(); // too young
      expect((await store.stat(d1)).exists).toBe(true);
      expect(await store.deleteUnreferenced(d1, later, () => true)).toBeUndefined(); // referenced meanwhile
      expect(await store.read(d1).text()).toBe("one");
      expect(await store.deleteUnreferenced(d1, later, () => false)).toBe(3); // the bytes freed
      expect(await store.stat(d1)).toEqual({ exists: false });
      expect(await store.deleteUnreferenced(d1, later, () => false)).toBeUndefined(); // already gone
      expect(await store.trashCount()).toBe(0);
      await cleanup();
    });

    test("storage keys that could escape the store are refused", async () => {
      const { store, cleanup } = await make();
      expect(() => store.read("sha256:../../etc/passwd")).toThrow();
      await expect(store.createUpload("../x")).rejects.toThrow();
      await cleanup();
    });

    test("probe() writes, reads back and removes its object, and leaves nothing that list() or the upload listing shows", async () => {
      const { store, cleanup } = await make();
      const d1 = await commit(store, "kept");
      expect(await store.probe()).toEqual({ ok: true });
      expect(await store.probe()).toEqual({ ok: true });
      const listed: string[] = [];
      for await (const d of store.list()) listed.push(d);
      expect(listed).toEqual([d1]);
      expect(await store.listUploads()).toEqual([]);
      await cleanup();
    });
  });
}
