import { describe, expect, test } from "bun:test";
import type { BlobStore } from "../../../src/store/blobs/blobStore";
import { S3BlobStore } from "../../../src/store/blobs/s3BlobStore";
import { PART_BYTES } from "../../../src/store/blobs/s3/uploadState";
import { blobStoreSuite, chunkStream } from "./blobStore.suite";
import type { S3UploadRecords } from "../../../src/store/blobs/s3/uploadRecords";
import { freshS3Store, S3_SKIP_MESSAGE, testS3Settings } from "../../support/s3";

const MiB = 1024 * 1024;
/** For stores these tests never upload through. */
const NO_UPLOADS: S3UploadRecords = new Proxy({} as S3UploadRecords, {
  get: () => () => Promise.reject(new Error("this test begins no upload")),
});
const sha256 = (b: Uint8Array) => `sha256:${new Bun.CryptoHasher("sha256").update(b).digest("hex")}`;
/** `bytes` cut into copies of `chunk` bytes each. */
const chunksOf = (bytes: Uint8Array, chunk = 64 * 1024) => {
  const out: Uint8Array[] = [];
  for (let at = 0; at < bytes.byteLength; at += chunk) out.push(bytes.slice(at, at + chunk));
  return out;
};
const streamOf = (bytes: Uint8Array, chunk = 64 * 1024) => chunkStream(chunksOf(bytes, chunk));
const random = (n: number) => {
  const out = new Uint8Array(n);
  for (let at = 0; at < n; at += 65536) crypto.getRandomValues(out.subarray(at, Math.min(n, at + 65536)));
  return out;
};

/** Appends `bytes` from `offset` in PATCH-sized requests; answers the hash of what the store saw. */
async function appendInRequests(store: BlobStore, id: string, bytes: Uint8Array, requestBytes: number, offset = 0) {
  for (let at = offset; at < bytes.byteLength; at += requestBytes) {
    const part = bytes.subarray(at, Math.min(bytes.byteLength, at + requestBytes));
    expect(await store.appendUpload(id, at, streamOf(part), () => {})).toEqual({ written: part.byteLength, aborted: false });
  }
}

async function hashOf(store: BlobStore, digest: string): Promise<string> {
  const h = new Bun.CryptoHasher("sha256");
  for await (const c of store.read(digest).stream()) h.update(c);
  return `sha256:${h.digest("hex")}`;
}

if (!testS3Settings()) {
  console.warn(S3_SKIP_MESSAGE);
  test.skip(S3_SKIP_MESSAGE, () => {});
} else {
  blobStoreSuite("S3 (Ceph RGW)", () => freshS3Store());

  describe("the S3 store's uploads", () => {
    test("a blob of several parts sent in 1 MiB PATCHes commits whole (S3 accepts every part but the last only at 5 MiB or more)", async () => {
      const { store, cleanup } = await freshS3Store();
      try {
        const bytes = random(2 * PART_BYTES + 3 * MiB + 17);
        const id = crypto.randomUUID();
        await store.createUpload(id);
        await appendInRequests(store, id, bytes, MiB);
        expect(await store.uploadSize(id)).toBe(bytes.byteLength);
        const digest = sha256(bytes);
        await store.commitUpload(id, digest);
        expect(await store.stat(digest)).toMatchObject({ exists: true, size: bytes.byteLength });
        expect(await hashOf(store, digest)).toBe(digest);
        expect(await store.listUploads()).toEqual([]);
      } finally {
        await cleanup();
      }
    });

    test("chunks copied into a part are released at once; the blob commits whole", async () => {
      const { store, cleanup } = await freshS3Store();
      try {
        const bytes = random(PART_BYTES + 3 * MiB);
        const chunks = chunksOf(bytes);
        const id = crypto.randomUUID();
        await store.createUpload(id);
        expect(await store.appendUpload(id, 0, chunkStream(chunks), () => {})).toEqual({ written: bytes.byteLength, aborted: false });
        // The first part's 128 chunks went into it whole; the rest wait in a segment (a Blob).
        const inPart = PART_BYTES / (64 * 1024);
        expect(chunks.slice(0, inPart).every((c) => c.byteLength === 0)).toBe(true);
        expect(chunks.slice(inPart).every((c) => c.byteLength === 64 * 1024)).toBe(true);
        const digest = sha256(bytes);
        await store.commitUpload(id, digest);
        expect(await hashOf(store, digest)).toBe(digest);
      } finally {
        await cleanup();
      }
    });

    test("another node continues an upload: it re-reads the bytes so far (hash rebuilt), appends and commits", async () => {
      const { store, prefix, records, cleanup } = await freshS3Store();
      try {
        const bytes = random(PART_BYTES + 5 * MiB);
        const id = crypto.randomUUID();
        await store.createUpload(id);
        const firstHalf = PART_BYTES + 2 * MiB;
        await appendInRequests(store, id, bytes.subarray(0, firstHalf), 3 * MiB);
        const other = await new S3BlobStore({ ...testS3Settings()!, prefix }, records).open();
        expect(await other.uploadSize(id)).toBe(firstHalf);
        const h = new Bun.CryptoHasher("sha256");
        await other.replayUpload(id, firstHalf, (c) => h.update(c));
        expect(h.digest("hex")).toBe(sha256(bytes.subarray(0, firstHalf)).slice(7));
        // After the replay the parts are one object, which the next part copies server-side.
        await appendInRequests(other, id, bytes, PART_BYTES, firstHalf);
        await other.commitUpload(id, sha256(bytes));
        expect(await hashOf(store, sha256(bytes))).toBe(sha256(bytes));
      } finally {
        await cleanup();
      }
    });

    test("a refused chunk that already filled a part is dropped when the next one starts at the recorded offset", async () => {
      const { store, cleanup } = await freshS3Store();
      try {
        const first = random(PART_BYTES - MiB);
        const refused = random(3 * MiB);
        const second = random(4 * MiB);
        const id = crypto.randomUUID();
        await store.createUpload(id);
        await store.appendUpload(id, 0, streamOf(first), () => {});
        await store.appendUpload(id, first.byteLength, streamOf(refused), () => {}); // a part went to S3
        await store.appendUpload(id, first.byteLength, streamOf(second), () => {});
        const whole = new Uint8Array([...first, ...second]);
        expect(await store.uploadSize(id)).toBe(whole.byteLength);
        await store.commitUpload(id, sha256(whole));
        expect(await hashOf(store, sha256(whole))).toBe(sha256(whole));
      } finally {
        await cleanup();
      }
    });

    test("parts a cut-off request sent past the acknowledged offset: the resumed upload and a replay on another node commit the acknowledged bytes and the new ones", async () => {
      // Ceph RGW refuses to complete a multipart upload without parts it holds beyond those named (InvalidPart).
      for (const path of ["resumed", "replayed"] as const) {
        const { store, prefix, records, cleanup } = await freshS3Store();
        try {
          const acknowledged = random(PART_BYTES);
          const cutOff = random(2 * PART_BYTES); // its parts reached S3; its client saw no answer
          const resumed = random(PART_BYTES / 2 + 100);
          const id = crypto.randomUUID();
          await store.createUpload(id);
          await store.appendUpload(id, 0, streamOf(acknowledged), () => {});
          await store.appendUpload(id, PART_BYTES, streamOf(cutOff), () => {});
          let at = store;
          if (path === "replayed") {
            // Another node (or a restart) rebuilds the hash of the acknowledged bytes first.
            at = await new S3BlobStore({ ...testS3Settings()!, prefix }, records).open();
            const h = new Bun.CryptoHasher("sha256");
            await at.replayUpload(id, PART_BYTES, (c) => h.update(c));
            expect(`sha256:${h.digest("hex")}`).toBe(sha256(acknowledged));
          }
          expect(await at.appendUpload(id, PART_BYTES, streamOf(resumed), () => {})).toEqual({ written: resumed.byteLength, aborted: false });
          const whole = new Uint8Array([...acknowledged, ...resumed]);
          expect(await at.uploadSize(id)).toBe(whole.byteLength);
          await at.commitUpload(id, sha256(whole));
          expect(await at.stat(sha256(whole))).toMatchObject({ exists: true, size: whole.byteLength });
          expect(await hashOf(at, sha256(whole))).toBe(sha256(whole));
          expect(await at.listUploads()).toEqual([]);
        } finally {
          await cleanup();
        }
      }
    });

    test("a cancelled upload leaves no object and no open multipart upload behind", async () => {
      const { store, prefix, cleanup } = await freshS3Store();
      try {
        const id = crypto.randomUUID();
        await store.createUpload(id);
        await store.appendUpload(id, 0, streamOf(random(PART_BYTES + MiB)), () => {});
        expect(await store.api.listMultipart(prefix)).toHaveLength(1);
        await store.deleteUpload(id);
        expect(await store.api.listMultipart(prefix)).toEqual([]);
        const left = [];
        for await (const key of store.api.keys(prefix)) left.push(key);
        expect(left).toEqual([]);
      } finally {
        await cleanup();
      }
    });
  });

  describe("the S3 store's blobs", () => {
    test("a presigned redirect URL serves the blob (ranges too); without redirect there is none", async () => {
      const { store, prefix, cleanup } = await freshS3Store({ redirect: true });
      try {
        const bytes = random(1000);
        const id = crypto.randomUUID();
        await store.createUpload(id);
        await store.appendUpload(id, 0, streamOf(bytes), () => {});
        await store.commitUpload(id, sha256(bytes));
        const url = store.redirectUrl(sha256(bytes))!;
        expect(new Uint8Array(await (await fetch(url)).arrayBuffer())).toEqual(bytes);
        const ranged = await fetch(url, { headers: { range: "bytes=10-19" } });
        expect(ranged.status).toBe(206);
        expect(new Uint8Array(await ranged.arrayBuffer())).toEqual(bytes.slice(10, 20));
        expect(new S3BlobStore({ ...testS3Settings()!, prefix }, NO_UPLOADS).redirectUrl(sha256(bytes))).toBeUndefined();
        expect(await new Response(store.body(sha256(bytes), { start: 0, end: 9 })).arrayBuffer()).toEqual(bytes.slice(0, 10).buffer);
      } finally {
        await cleanup();
      }
    });

    test("a collector's abandoned set-aside blob is put back when referenced, dropped otherwise; quarantine moves a blob out", async () => {
      const { store, prefix, cleanup } = await freshS3Store({ trashAbandonedMs: 0 });
      try {
        const kept = sha256(new TextEncoder().encode("kept"));
        const gone = sha256(new TextEncoder().encode("gone"));
        await store.api.client.write(`${prefix}trash/${kept.replace(":", "-")}-x`, "kept");
        await store.api.client.write(`${prefix}trash/${gone.replace(":", "-")}-y`, "gone");
        await Bun.sleep(5);
        expect(await store.trashCount()).toBe(2);
        expect(await store.recoverTrash((d) => d === kept)).toEqual({ restored: 1, dropped: 1 });
        expect(await store.read(kept).text()).toBe("kept");
        expect(await store.trashCount()).toBe(0);
        await store.quarantine(kept);
        expect(await store.stat(kept)).toEqual({ exists: false });
        const quarantined = [];
        for await (const key of store.api.keys(`${prefix}quarantine/`)) quarantined.push(key);
        expect(quarantined).toHaveLength(1);
      } finally {
        await cleanup();
      }
    });
  });

  describe("the S3 store at start and in /health/endtoend", () => {
    test("a missing bucket is created at start (and a second start finds it)", async () => {
      const bucket = `berth-made-${crypto.randomUUID().slice(0, 8)}`;
      const store = await new S3BlobStore({ ...testS3Settings()!, bucket, prefix: "" }, NO_UPLOADS).open();
      await new S3BlobStore({ ...testS3Settings()!, bucket, prefix: "" }, NO_UPLOADS).open();
      expect(await store.probe()).toEqual({ ok: true });
      await store.api.call("delete bucket", "DELETE", "", {});
    });

    test("probe() with a wrong secret fails, naming the step, without echoing the secret", async () => {
      const store = new S3BlobStore({ ...testS3Settings()!, secretAccessKey: "not-the-secret-at-all", prefix: "probe-test/" }, NO_UPLOADS);
      const out = await store.probe();
      expect(out.ok).toBe(false);
      expect(out.ok === false && out.reason).toStartWith("write an object:");
      expect(out.ok === false && out.reason).not.toContain("not-the-secret-at-all");
    });
  });
}
