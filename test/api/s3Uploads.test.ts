// Chunked uploads into an S3 bucket (BERTH_TEST_S3), over the registry protocol: their state is
// in the database, so a second node over the same database and bucket continues one, and an
// upload whose multipart upload the bucket lost answers BLOB_UPLOAD_UNKNOWN.
import { afterAll, beforeAll, describe, expect, test } from "bun:test";
import { S3Api } from "../../src/store/blobs/s3/s3Api";
import { digestOf, expectError, randomBytes, RegistryClient, type Bytes } from "../support/registryClient";
import { S3_SKIP_MESSAGE, testS3Settings } from "../support/s3";
import { startTestServer, type TestServer } from "../support/server";

const MiB = 1024 * 1024;
const s3 = testS3Settings();
if (!s3) console.warn(S3_SKIP_MESSAGE);

describe.skipIf(!s3)("chunked uploads into S3, their state in the database", () => {
  const prefix = `${s3?.prefix ? `${s3.prefix.replace(/\/+$/, "")}/` : ""}t-${crypto.randomUUID()}`;
  const api = s3 ? new S3Api(s3) : undefined;
  let a: TestServer;
  let b: TestServer;
  beforeAll(async () => {
    const storage = {
      storage: `s3://${s3!.bucket}/${prefix}`,
      s3Endpoint: s3!.endpoint,
      s3Region: s3!.region,
      s3AccessKey: s3!.accessKeyId,
      s3SecretKey: s3!.secretAccessKey,
      s3PathStyle: String(s3!.pathStyle),
    };
    a = await startTestServer(storage);
    // A second node: the same database and bucket, nothing of the first one's memory.
    b = await startTestServer(storage, { dataDir: a.dataDir });
  });
  afterAll(async () => {
    await b?.stop();
    await a?.stop();
    if (!api) return;
    for await (const key of api.keys(`${prefix}/`)) await api.client.delete(key);
    for (const open of await api.listMultipart(`${prefix}/`)) await api.abortMultipart(open.key, open.uploadId);
  });

  const patch = (node: TestServer, location: string, chunk: Bytes, from: number) =>
    new RegistryClient(node.url).fetch(location, {
      method: "PATCH",
      headers: { "Content-Type": "application/octet-stream", "Content-Range": `${from}-${from + chunk.byteLength - 1}` },
      body: chunk,
    });
  async function begin(node: TestServer): Promise<string> {
    const res = await new RegistryClient(node.url).fetch("/v2/org/app/blobs/uploads/", { method: "POST" });
    expect(res.status).toBe(202);
    return res.headers.get("location")!;
  }
  async function keysUnder(under: string): Promise<string[]> {
    const keys = [];
    for await (const key of api!.keys(under)) keys.push(key);
    return keys;
  }

  test("PATCHes alternate between two nodes, the PUT lands on either: the blob is whole, and the bucket never held a state object", async () => {
    const bytes = randomBytes(20 * MiB + 123);
    const location = await begin(a);
    let at = 0;
    let turn = 0;
    let sawUploadObjects = false;
    while (at < bytes.byteLength) {
      const chunk = bytes.subarray(at, Math.min(bytes.byteLength, at + 3 * MiB));
      const res = await patch(turn++ % 2 ? b : a, location, chunk, at);
      expect(res.status).toBe(202);
      expect(res.headers.get("range")).toBe(`0-${at + chunk.byteLength - 1}`);
      at += chunk.byteLength;
      const keys = await keysUnder(`${prefix}/uploads/`);
      sawUploadObjects ||= keys.length > 0;
      expect(keys.filter((k) => k.endsWith("state.json"))).toEqual([]);
    }
    expect(sawUploadObjects).toBe(true);
    const digest = digestOf(bytes);
    const put = await new RegistryClient(b.url).fetch(`${location}${location.includes("?") ? "&" : "?"}digest=${encodeURIComponent(digest)}`, { method: "PUT" });
    expect(put.status).toBe(201);
    const got = await new RegistryClient(a.url).fetch(`/v2/org/app/blobs/${digest}`);
    expect(digestOf(new Uint8Array(await got.arrayBuffer()))).toBe(digest);
    expect(await keysUnder(`${prefix}/uploads/`)).toEqual([]);
    expect(await api!.listMultipart(`${prefix}/uploads/`)).toEqual([]);
  });

  test("an upload whose multipart upload the bucket lost answers BLOB_UPLOAD_UNKNOWN, not a server error", async () => {
    const location = await begin(a);
    const first = randomBytes(9 * MiB);
    expect((await patch(a, location, first, 0)).status).toBe(202);
    // A bucket lifecycle rule (abort incomplete multipart uploads after a day) or an operator.
    const open = await api!.listMultipart(`${prefix}/uploads/`);
    expect(open).toHaveLength(1);
    for (const o of open) await api!.abortMultipart(o.key, o.uploadId);
    await expectError(await patch(b, location, randomBytes(8 * MiB), first.byteLength), 404, "BLOB_UPLOAD_UNKNOWN");
    await expectError(await new RegistryClient(a.url).fetch(location), 404, "BLOB_UPLOAD_UNKNOWN");
    expect(await keysUnder(`${prefix}/uploads/`)).toEqual([]);
  });
});
