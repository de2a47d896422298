// S3 uploads recorded in the metadata database (store/meta/s3Uploads.ts), on both dialects and
// the real object store (BERTH_TEST_S3): the bucket holds only bytes, and a chunked upload begun
// on one node continues on another that shares nothing with it but the database and the bucket.
import { afterEach, beforeEach, expect, test } from "bun:test";
import { parseDigest, type Digest } from "../../../src/oci";
import { UploadGoneError } from "../../../src/store/blobs/blobStore";
import { S3BlobStore } from "../../../src/store/blobs/s3BlobStore";
import { PART_BYTES } from "../../../src/store/blobs/s3/uploadState";
import type { Runner } from "../../../src/store/dialect/program";
import { S3UploadRecordStore } from "../../../src/store/meta/s3Uploads";
import { UploadRowStore } from "../../../src/store/meta/uploads";
import { UploadSessions } from "../../../src/store/uploadSessions";
import { InProcessUploadHashStates, InProcessUploadLocks } from "../../../src/store/uploadState";
import { freshS3Store, S3_SKIP_MESSAGE, testS3Settings } from "../../support/s3";
import { addRepository, describeEachDialect } from "./eachDialect";

const MiB = 1024 * 1024;
const random = (n: number) => {
  const out = new Uint8Array(n);
  for (let at = 0; at < n; at += 65536) crypto.getRandomValues(out.subarray(at, Math.min(n, at + 65536)));
  return out;
};
const body = (bytes: Uint8Array) => new Response(bytes).body;
function digestOf(bytes: Uint8Array): Digest {
  const d = parseDigest(`sha256:${new Bun.CryptoHasher("sha256").update(bytes).digest("hex")}`);
  if (!d.ok) throw new Error("bad digest");
  return d.digest;
}

/** One node: its own blob store, record store, locks and hash states; only the runner's database and the bucket are shared. */
function node(runner: Runner, prefix: string): { blobs: S3BlobStore; sessions: UploadSessions; records: S3UploadRecordStore } {
  const records = new S3UploadRecordStore(runner);
  const blobs = new S3BlobStore({ ...testS3Settings()!, prefix }, records);
  const sessions = new UploadSessions(new UploadRowStore(runner), blobs, { locks: new InProcessUploadLocks(), hashes: new InProcessUploadHashStates() }, 3600_000);
  return { blobs, sessions, records };
}

async function keysUnder(blobs: S3BlobStore, prefix: string): Promise<string[]> {
  const keys = [];
  for await (const key of blobs.api.keys(prefix)) keys.push(key);
  return keys;
}

if (!testS3Settings()) {
  console.warn(S3_SKIP_MESSAGE);
  test.skip(S3_SKIP_MESSAGE, () => {});
} else {
  describeEachDialect("s3UploadRecords.test.ts", "S3 uploads recorded in the database", (backend) => {
    let prefix: string;
    let cleanup: () => Promise<void>;
    let runner: Runner;
    let repoId: number;
    beforeEach(async () => {
      runner = backend().runner;
      ({ prefix, cleanup } = await freshS3Store());
      repoId = await addRepository(runner, "org/app");
    });
    afterEach(async () => {
      await cleanup();
    });
    const begin = async (n: ReturnType<typeof node>): Promise<{ id: string }> => {
      const started = await n.sessions.start(repoId);
      if (started.kind !== "ok") throw new Error("no session");
      return started;
    };

    test("the upload id, parts and ETags are rows in the database; the bucket holds no state object", async () => {
      const a = node(runner, prefix);
      const started = await begin(a);
      const bytes = random(PART_BYTES + 3 * MiB);
      expect(await a.sessions.append(repoId, started.id, body(bytes))).toEqual({ kind: "ok", offset: bytes.byteLength });
      const record = await a.records.get(started.id);
      expect(record?.state.cur.multipart?.id).toBeString();
      expect(record?.state.cur.parts).toEqual([{ n: 1, etag: expect.any(String), size: PART_BYTES }]);
      expect(record?.modifiedMs).toBeGreaterThan(Date.now() - 60_000);
      const keys = await keysUnder(a.blobs, `${prefix}uploads/`);
      expect(keys.length).toBeGreaterThan(0);
      expect(keys.filter((k) => k.endsWith("state.json"))).toEqual([]);
      expect(await a.blobs.listUploads()).toEqual([started.id]);
    });

    test("a chunked upload begun on one node continues and finishes on another sharing only the database and bucket", async () => {
      const a = node(runner, prefix);
      const b = node(runner, prefix);
      const bytes = random(2 * PART_BYTES + 5 * MiB);
      const started = await begin(a);
      const id = started.id;
      // Node A takes the first PATCHes (3 MiB each: parts gather across requests)...
      const split = PART_BYTES + 4 * MiB;
      for (let at = 0; at < split; at += 3 * MiB) {
        const chunk = bytes.subarray(at, Math.min(split, at + 3 * MiB));
        expect(await a.sessions.append(repoId, id, body(chunk), { start: at, end: at + chunk.byteLength - 1 })).toEqual({ kind: "ok", offset: at + chunk.byteLength });
      }
      // ...node B the rest and the PUT: it finds the upload through the database alone.
      expect(await b.sessions.offset(repoId, id)).toBe(split);
      const rest = bytes.subarray(split, split + PART_BYTES);
      expect(await b.sessions.append(repoId, id, body(rest), { start: split, end: split + rest.byteLength - 1 })).toEqual({ kind: "ok", offset: split + rest.byteLength });
      let recorded = 0;
      const finished = await b.sessions.finish(repoId, id, digestOf(bytes), body(bytes.subarray(split + rest.byteLength)), undefined, (size) => {
        recorded = size;
      });
      expect(finished).toEqual({ kind: "ok", size: bytes.byteLength });
      expect(recorded).toBe(bytes.byteLength);
      const stored = new Uint8Array(await b.blobs.read(digestOf(bytes).value).arrayBuffer());
      expect(Buffer.compare(stored, bytes)).toBe(0);
      // Nothing of the upload is left: no record, no object, no open multipart upload.
      expect(await a.records.get(id)).toBeUndefined();
      expect(await keysUnder(a.blobs, `${prefix}uploads/`)).toEqual([]);
      expect(await a.blobs.api.listMultipart(`${prefix}uploads/`)).toEqual([]);
    });

    test("a cancelled upload leaves no record, no object and no multipart upload", async () => {
      const a = node(runner, prefix);
      const started = await begin(a);
      await a.sessions.append(repoId, started.id, body(random(PART_BYTES + MiB)));
      expect(await a.blobs.api.listMultipart(`${prefix}uploads/`)).toHaveLength(1);
      expect(await node(runner, prefix).sessions.cancel(repoId, started.id)).toEqual({ kind: "ok" });
      expect(await a.records.ids()).toEqual([]);
      expect(await keysUnder(a.blobs, `${prefix}uploads/`)).toEqual([]);
      expect(await a.blobs.api.listMultipart(`${prefix}uploads/`)).toEqual([]);
    });

    test("an upload whose multipart upload S3 lost is unknown (and dropped), not an error", async () => {
      const a = node(runner, prefix);
      const started = await begin(a);
      const first = random(PART_BYTES + MiB);
      await a.sessions.append(repoId, started.id, body(first));
      // A bucket lifecycle rule (abort incomplete multipart uploads) or an operator's clean-up.
      for (const open of await a.blobs.api.listMultipart(`${prefix}uploads/`)) await a.blobs.api.abortMultipart(open.key, open.uploadId);
      await expect(a.blobs.commitUpload(started.id, digestOf(first).value)).rejects.toBeInstanceOf(UploadGoneError);
      const b = node(runner, prefix);
      const more = random(PART_BYTES);
      const at = first.byteLength;
      expect(await b.sessions.append(repoId, started.id, body(more), { start: at, end: at + more.byteLength - 1 })).toEqual({ kind: "unknown" });
      expect(await b.sessions.offset(repoId, started.id)).toBeUndefined();
      expect(await a.records.get(started.id)).toBeUndefined();
      expect(await keysUnder(a.blobs, `${prefix}uploads/`)).toEqual([]);
    });

    test("the sweep drops an expired upload and a record no session owns: records, objects and multipart uploads", async () => {
      const a = node(runner, prefix);
      const expired = await begin(a);
      await a.sessions.append(repoId, expired.id, body(random(PART_BYTES + MiB)));
      // A record whose session row went without it (its repository deleted with its sessions).
      const orphan = crypto.randomUUID();
      await a.blobs.createUpload(orphan);
      await a.blobs.appendUpload(orphan, 0, body(random(PART_BYTES)), () => {});
      expect(await a.blobs.api.listMultipart(`${prefix}uploads/`)).toHaveLength(2);
      const swept = await node(runner, prefix).sessions.sweep(Date.now() + 2 * 3600_000);
      expect(swept).toEqual({ removed: 2, bytes: 2 * PART_BYTES + MiB });
      expect(await a.records.ids()).toEqual([]);
      expect(await keysUnder(a.blobs, `${prefix}uploads/`)).toEqual([]);
      expect(await a.blobs.api.listMultipart(`${prefix}uploads/`)).toEqual([]);
    });

    test("an upload begun before the records (its state object in the bucket) is moved into the database and continues", async () => {
      const a = node(runner, prefix);
      const id = crypto.randomUUID();
      await a.blobs.createUpload(id);
      const bytes = random(3 * MiB);
      await a.blobs.appendUpload(id, 0, body(bytes.subarray(0, 2 * MiB)), () => {});
      // As the release before left it: the same state as an object, and no row.
      const state = (await a.records.get(id))!.state;
      await a.blobs.api.client.write(`${prefix}uploads/${id}/state.json`, JSON.stringify(state));
      await a.records.delete(id);
      expect(await a.blobs.listUploads()).toEqual([id]);
      expect(await a.blobs.uploadSize(id)).toBe(2 * MiB);
      expect(await a.records.ids()).toEqual([id]);
      expect((await keysUnder(a.blobs, `${prefix}uploads/`)).filter((k) => k.endsWith("state.json"))).toEqual([]);
      await a.blobs.appendUpload(id, 2 * MiB, body(bytes.subarray(2 * MiB)), () => {});
      await a.blobs.commitUpload(id, digestOf(bytes).value);
      expect(Buffer.compare(new Uint8Array(await a.blobs.read(digestOf(bytes).value).arrayBuffer()), bytes)).toBe(0);
      expect(await a.records.ids()).toEqual([]);
    });
  });
}
