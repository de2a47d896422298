// Blob uploads: POST sessions, monolithic POST, chunked and streamed PATCH, PUT, status, cancel,
// digest checks, cross-repository mounts.
import { describe, expect, test } from "bun:test";
import { serverForFile, type TestServer } from "../support/server";
import { onS3 } from "../support/serverBackends";
import {
  digestOf,
  EMPTY_SHA256,
  expectApiVersion,
  expectError,
  expectStatus,
  randomBytes,
  randomDigest,
  rawRequest,
  RegistryClient,
  repoName,
  type Bytes,
} from "../support/registryClient";

let server: TestServer;
let c: RegistryClient;
serverForFile((started) => {
  server = started;
  c = new RegistryClient(started.url);
});

const UUID_RE = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/;

/** The bytes a repository serves for `digest`, or the failing status. */
async function fetchBlob(repo: string, digest: string): Promise<Bytes | number> {
  const res = await c.fetch(`/v2/${repo}/blobs/${digest}`);
  expectApiVersion(res);
  if (res.status !== 200) {
    await res.arrayBuffer();
    return res.status;
  }
  return new Uint8Array(await res.arrayBuffer());
}

function expectSameBytes(actual: Bytes | number, expected: Bytes): void {
  expect(typeof actual).not.toBe("number");
  expect(Buffer.from(actual as Bytes).equals(Buffer.from(expected))).toBe(true);
}

function patch(location: string, chunk: Bytes, range?: string): Promise<Response> {
  const headers: Record<string, string> = { "Content-Type": "application/octet-stream" };
  if (range !== undefined) headers["Content-Range"] = range;
  return c.fetch(location, { method: "PATCH", headers, body: chunk });
}

function put(location: string, digest: string, body?: Bytes, headers: Record<string, string> = {}): Promise<Response> {
  const sep = location.includes("?") ? "&" : "?";
  return c.fetch(`${location}${sep}digest=${encodeURIComponent(digest)}`, {
    method: "PUT",
    headers: { "Content-Type": "application/octet-stream", ...headers },
    body,
  });
}

/** A body that sends `first`, then waits for release() before sending `rest` and ending. */
function heldStream(first: Bytes, rest: Bytes) {
  let release!: () => void;
  const released = new Promise<void>((r) => (release = r));
  let sentFirst!: () => void;
  const firstSent = new Promise<void>((r) => (sentFirst = r));
  let step = 0;
  const stream = new ReadableStream<Uint8Array>({
    async pull(controller) {
      if (step === 0) {
        step = 1;
        controller.enqueue(first);
        sentFirst();
        return;
      }
      await released;
      controller.enqueue(rest);
      controller.close();
    },
  });
  return { stream, release, firstSent };
}

describe("POST /v2/<name>/blobs/uploads/ (session)", () => {
  test("202 with Location, Range 0-0 and Docker-Upload-UUID naming the same session", async () => {
    const name = repoName();
    const res = await c.fetch(`/v2/${name}/blobs/uploads/`, { method: "POST", headers: { "Content-Length": "0" } });
    await expectStatus(res, 202);
    const location = res.headers.get("location")!;
    const uuid = res.headers.get("docker-upload-uuid")!;
    expect(uuid).toMatch(UUID_RE);
    expect(location).toBe(`${server.url}/v2/${name}/blobs/uploads/${uuid}`);
    expect(res.headers.get("range")).toBe("0-0");
    expect(res.headers.get("content-length")).toBe("0");
  });

  test("every POST opens a distinct session", async () => {
    const name = repoName();
    const a = await c.startUpload(name);
    const b = await c.startUpload(name);
    expect(a).not.toBe(b);
  });

  test("POST then a single PUT carrying the whole blob", async () => {
    const name = repoName();
    const bytes = randomBytes(70_000);
    const digest = digestOf(bytes);
    const location = await c.startUpload(name);
    const res = await put(location, digest, bytes);
    await expectStatus(res, 201);
    expect(res.headers.get("location")).toBe(`${server.url}/v2/${name}/blobs/${digest}`);
    expect(res.headers.get("docker-content-digest")).toBe(digest);
    expectSameBytes(await fetchBlob(name, digest), bytes);
    // The Location it answered is a pullable blob URL.
    expectSameBytes(new Uint8Array(await (await c.fetch(res.headers.get("location")!)).arrayBuffer()), bytes);
  });

  test("a trailing slash on the session URL is tolerated", async () => {
    const name = repoName();
    const bytes = randomBytes(10);
    const location = await c.startUpload(name);
    await expectStatus(await c.fetch(`${location}/`), 204);
    await expectStatus(await put(`${location}/`, digestOf(bytes), bytes), 201);
  });
});

describe("monolithic POST ?digest=", () => {
  test("201 with Location and Docker-Content-Digest; the blob is readable", async () => {
    const name = repoName();
    const bytes = randomBytes(123_457);
    const digest = digestOf(bytes);
    const res = await c.fetch(`/v2/${name}/blobs/uploads/?digest=${digest}`, {
      method: "POST",
      headers: { "Content-Type": "application/octet-stream" },
      body: bytes,
    });
    await expectStatus(res, 201);
    expect(res.headers.get("location")).toBe(`${server.url}/v2/${name}/blobs/${digest}`);
    expect(res.headers.get("docker-content-digest")).toBe(digest);
    expectSameBytes(await fetchBlob(name, digest), bytes);
  });

  test("a wrong digest is 400 DIGEST_INVALID and stores nothing", async () => {
    const name = repoName();
    const bytes = randomBytes(1000);
    const claimed = randomDigest();
    const res = await c.fetch(`/v2/${name}/blobs/uploads/?digest=${claimed}`, { method: "POST", body: bytes });
    const errors = await expectError(res, 400, "DIGEST_INVALID");
    expect(errors[0]!.message).toContain(digestOf(bytes));
    expect(await fetchBlob(name, claimed)).toBe(404);
    expect(await fetchBlob(name, digestOf(bytes))).toBe(404);
  });

  test("pushing the same blob twice is fine and idempotent", async () => {
    const name = repoName();
    const bytes = randomBytes(500);
    await c.pushBlob(name, bytes);
    await c.pushBlob(name, bytes);
    expectSameBytes(await fetchBlob(name, digestOf(bytes)), bytes);
  });
});

describe("chunked PATCH with Content-Range", () => {
  test("chunks append in order; Range follows; PUT without a body closes", async () => {
    const name = repoName();
    const bytes = randomBytes(30_000);
    const digest = digestOf(bytes);
    let location = await c.startUpload(name);
    const cuts = [0, 10_000, 20_000, 30_000];
    for (let i = 0; i < 3; i++) {
      const res = await patch(location, bytes.subarray(cuts[i], cuts[i + 1]), `${cuts[i]}-${cuts[i + 1]! - 1}`);
      await expectStatus(res, 202);
      expect(res.headers.get("range")).toBe(`0-${cuts[i + 1]! - 1}`);
      expect(res.headers.get("docker-upload-uuid")).toBe(location.split("/").pop()!);
      location = c.url(res.headers.get("location")!);
    }
    const done = await put(location, digest);
    await expectStatus(done, 201);
    expect(done.headers.get("docker-content-digest")).toBe(digest);
    expectSameBytes(await fetchBlob(name, digest), bytes);
  });

  test("the RFC form 'bytes a-b/total' is accepted too", async () => {
    const name = repoName();
    const bytes = randomBytes(20);
    const location = await c.startUpload(name);
    await expectStatus(await patch(location, bytes.subarray(0, 10), "bytes 0-9/*"), 202);
    await expectStatus(await patch(location, bytes.subarray(10), "bytes 10-19/20"), 202);
    await expectStatus(await put(location, digestOf(bytes)), 201);
    expectSameBytes(await fetchBlob(name, digestOf(bytes)), bytes);
  });

  test("the last chunk may come with the closing PUT (with its Content-Range)", async () => {
    const name = repoName();
    const bytes = randomBytes(5000);
    const digest = digestOf(bytes);
    const location = await c.startUpload(name);
    await expectStatus(await patch(location, bytes.subarray(0, 3000), "0-2999"), 202);
    const res = await put(location, digest, bytes.subarray(3000), { "Content-Range": "3000-4999" });
    await expectStatus(res, 201);
    expectSameBytes(await fetchBlob(name, digest), bytes);
  });

  test("an out-of-order chunk is 416 with the current Range and Location; nothing of it is kept", async () => {
    const name = repoName();
    const bytes = randomBytes(300);
    const digest = digestOf(bytes);
    const location = await c.startUpload(name);
    await expectStatus(await patch(location, bytes.subarray(0, 100), "0-99"), 202);

    const skipped = await patch(location, bytes.subarray(200, 300), "200-299");
    await expectError(skipped, 416, "RANGE_INVALID");
    expect(skipped.headers.get("range")).toBe("0-99");
    expect(c.url(skipped.headers.get("location")!)).toBe(location);

    const repeated = await patch(location, bytes.subarray(0, 100), "0-99");
    expect(repeated.status).toBe(416);
    expect(repeated.headers.get("range")).toBe("0-99");
    await repeated.arrayBuffer();

    // The client asks where it stands and resumes from there.
    const status = await c.fetch(location);
    await expectStatus(status, 204);
    expect(status.headers.get("range")).toBe("0-99");
    await expectStatus(await patch(location, bytes.subarray(100, 300), "100-299"), 202);
    await expectStatus(await put(location, digest), 201);
    expectSameBytes(await fetchBlob(name, digest), bytes);
  });

  test("a chunk shorter than its Content-Range is 416 and its bytes do not leak into the blob", async () => {
    const name = repoName();
    const bytes = randomBytes(200);
    const digest = digestOf(bytes);
    const location = await c.startUpload(name);
    await expectStatus(await patch(location, bytes.subarray(0, 100), "0-99"), 202);
    const short = await patch(location, randomBytes(10), "100-199");
    await expectError(short, 416, "RANGE_INVALID");
    expect(short.headers.get("range")).toBe("0-99");
    await expectStatus(await patch(location, bytes.subarray(100), "100-199"), 202);
    await expectStatus(await put(location, digest), 201);
    expectSameBytes(await fetchBlob(name, digest), bytes);
  });

  test("a malformed Content-Range is 416 RANGE_INVALID", async () => {
    const location = await c.startUpload(repoName());
    await expectError(await patch(location, randomBytes(5), "five bytes"), 416, "RANGE_INVALID");
  });
});

describe("streamed PATCH without Content-Range", () => {
  test("a chunked-encoded body of unknown length is appended whole", async () => {
    const name = repoName();
    const parts = [randomBytes(40_000), randomBytes(1), randomBytes(70_000)];
    const bytes = new Uint8Array(Buffer.concat(parts));
    const digest = digestOf(bytes);
    const location = await c.startUpload(name);
    const body = new ReadableStream<Uint8Array>({
      start(controller) {
        for (const p of parts) controller.enqueue(p);
        controller.close();
      },
    });
    const res = await c.fetch(location, { method: "PATCH", headers: { "Content-Type": "application/octet-stream" }, body });
    await expectStatus(res, 202);
    expect(res.headers.get("range")).toBe(`0-${bytes.byteLength - 1}`);
    await expectStatus(await put(location, digest), 201);
    expectSameBytes(await fetchBlob(name, digest), bytes);
  });

  test("two streamed PATCHes then a PUT with the last piece", async () => {
    const name = repoName();
    const bytes = randomBytes(9000);
    const digest = digestOf(bytes);
    const location = await c.startUpload(name);
    const first = await patch(location, bytes.subarray(0, 4000));
    await expectStatus(first, 202);
    expect(first.headers.get("range")).toBe("0-3999");
    const second = await patch(location, bytes.subarray(4000, 8000));
    expect(second.headers.get("range")).toBe("0-7999");
    await expectStatus(await put(location, digest, bytes.subarray(8000)), 201);
    expectSameBytes(await fetchBlob(name, digest), bytes);
  });

  test("a second writer while a PATCH is still streaming is refused with 409", async () => {
    const name = repoName();
    const a = randomBytes(1000);
    const b = randomBytes(1000);
    const location = await c.startUpload(name);
    const held = heldStream(a, b);
    const inFlight = c.fetch(location, { method: "PATCH", body: held.stream });
    await held.firstSent;
    // Give the server a moment to start reading the first request's body. The probe claims a
    // range that is never next, so when it does get through it changes nothing (416).
    let busy: Response | undefined;
    for (let i = 0; i < 500 && !busy; i++) {
      await Bun.sleep(20);
      const res = await patch(location, randomBytes(1), "999999-999999");
      if (res.status === 409) busy = res;
      else await res.arrayBuffer();
    }
    expect(busy).toBeDefined();
    await expectError(busy!, 409, "BLOB_UPLOAD_INVALID");
    held.release();
    const first = await inFlight;
    await expectStatus(first, 202);
    expect(first.headers.get("range")).toBe("0-1999");
    const whole = new Uint8Array(Buffer.concat([a, b]));
    await expectStatus(await put(location, digestOf(whole)), 201);
    expectSameBytes(await fetchBlob(name, digestOf(whole)), whole);
  });
});

describe("resumable push", () => {
  test("bytes received before the client hung up are kept; the push resumes from there", async () => {
    const name = repoName();
    const sent = randomBytes(64 * 1024);
    const rest = randomBytes(1000);
    const location = await c.startUpload(name);
    const held = heldStream(sent, new Uint8Array(0));
    const abort = new AbortController();
    const inFlight = c.fetch(location, { method: "PATCH", body: held.stream, signal: abort.signal }).catch((e) => e);
    await held.firstSent;
    // Wait until the server holds the session (a second writer is refused), then hang up.
    for (let i = 0; i < 500; i++) {
      await Bun.sleep(20);
      const probe = await patch(location, randomBytes(1), "999999-999999");
      await probe.arrayBuffer();
      if (probe.status === 409) break;
    }
    abort.abort();
    await inFlight;
    held.release();
    // The server notices the broken body, records what it had and lets the session go: a probe is
    // then refused for its range (416, naming the offset kept), no longer for a writer (409).
    let offset = -1;
    for (let i = 0; i < 500 && offset < 0; i++) {
      const probe = await patch(location, randomBytes(1), "999999-999999");
      const refusal = (await probe.json()) as { errors: { detail?: { offset?: number } }[] };
      if (probe.status === 416) offset = refusal.errors[0]!.detail!.offset!;
      else await Bun.sleep(20);
    }
    expect(offset).toBeGreaterThanOrEqual(0);
    expect(offset).toBeLessThanOrEqual(sent.byteLength);
    // What is kept is what the server read before the hang-up. On the filesystem it reads at once.
    // On S3 (BERTH_TEST_API_STORAGE=s3) it first fetches the session's state from the bucket, and
    // bytes still unread when the connection breaks are gone (Bun drops them): it may keep
    // nothing, and says so; the client resumes from there either way.
    if (!onS3(server.server.ctx.config)) expect(offset).toBeGreaterThan(0);
    const status = await c.fetch(location);
    expect(status.status).toBe(204);
    expect(status.headers.get("range")).toBe(`0-${Math.max(offset - 1, 0)}`);
    const whole = new Uint8Array(Buffer.concat([sent, rest]));
    await expectStatus(await patch(location, whole.subarray(offset), `${offset}-${whole.byteLength - 1}`), 202);
    await expectStatus(await put(location, digestOf(whole)), 201);
    expectSameBytes(await fetchBlob(name, digestOf(whole)), whole);
  });
});

describe("concurrent pushes", () => {
  test("the same blob pushed in parallel to a new repository: every push succeeds, one blob results", async () => {
    const name = repoName("race");
    const bytes = randomBytes(200_000);
    const digest = digestOf(bytes);
    const results = await Promise.all(
      Array.from({ length: 8 }, (_, i) =>
        i % 2 === 0
          ? c.fetch(`/v2/${name}/blobs/uploads/?digest=${digest}`, { method: "POST", body: bytes })
          : c.startUpload(name).then((loc) => put(loc, digest, bytes)),
      ),
    );
    for (const res of results) await expectStatus(res, 201);
    expectSameBytes(await fetchBlob(name, digest), bytes);
  });

  test("parallel chunked sessions in one repository do not mix their bytes", async () => {
    const name = repoName("race");
    const blobs = Array.from({ length: 6 }, () => randomBytes(50_000));
    await Promise.all(
      blobs.map(async (bytes) => {
        const location = await c.startUpload(name);
        for (let off = 0; off < bytes.byteLength; off += 12_500) {
          await expectStatus(await patch(location, bytes.subarray(off, off + 12_500), `${off}-${off + 12_499}`), 202);
        }
        await expectStatus(await put(location, digestOf(bytes)), 201);
      }),
    );
    for (const bytes of blobs) expectSameBytes(await fetchBlob(name, digestOf(bytes)), bytes);
  });
});

describe("GET upload status", () => {
  test("204 with Location, Range and Docker-Upload-UUID, and no body", async () => {
    const name = repoName();
    const location = await c.startUpload(name);
    await expectStatus(await patch(location, randomBytes(42), "0-41"), 202);
    const res = await c.fetch(location);
    const body = await expectStatus(res, 204);
    expect(body.byteLength).toBe(0);
    expect(res.headers.get("range")).toBe("0-41");
    expect(c.url(res.headers.get("location")!)).toBe(location);
    expect(res.headers.get("docker-upload-uuid")).toBe(location.split("/").pop()!);
  });

  test("an unknown session is 404 BLOB_UPLOAD_UNKNOWN", async () => {
    const name = repoName();
    await c.startUpload(name); // the repository exists
    await expectError(await c.fetch(`/v2/${name}/blobs/uploads/${crypto.randomUUID()}`), 404, "BLOB_UPLOAD_UNKNOWN");
  });

  test("a session is bound to its repository", async () => {
    const owner = repoName();
    const other = repoName();
    const location = await c.startUpload(owner);
    await c.startUpload(other);
    const uuid = location.split("/").pop()!;
    await expectError(await c.fetch(`/v2/${other}/blobs/uploads/${uuid}`), 404, "BLOB_UPLOAD_UNKNOWN");
    await expectError(await patch(`${server.url}/v2/${other}/blobs/uploads/${uuid}`, randomBytes(3)), 404, "BLOB_UPLOAD_UNKNOWN");
    const bytes = randomBytes(3);
    await expectError(await put(`${server.url}/v2/${other}/blobs/uploads/${uuid}`, digestOf(bytes), bytes), 404, "BLOB_UPLOAD_UNKNOWN");
    expect(await fetchBlob(other, digestOf(bytes))).toBe(404);
    // Still usable by its owner.
    await expectStatus(await c.fetch(location), 204);
  });

  test("a completed session is gone", async () => {
    const name = repoName();
    const bytes = randomBytes(10);
    const location = await c.startUpload(name);
    await expectStatus(await put(location, digestOf(bytes), bytes), 201);
    await expectError(await c.fetch(location), 404, "BLOB_UPLOAD_UNKNOWN");
    await expectError(await patch(location, randomBytes(1)), 404, "BLOB_UPLOAD_UNKNOWN");
  });
});

describe("DELETE upload (cancel)", () => {
  test("204, then the session is unknown everywhere", async () => {
    const name = repoName();
    const location = await c.startUpload(name);
    await expectStatus(await patch(location, randomBytes(100), "0-99"), 202);
    const del = await c.fetch(location, { method: "DELETE" });
    await expectStatus(del, 204);
    await expectError(await c.fetch(location), 404, "BLOB_UPLOAD_UNKNOWN");
    await expectError(await patch(location, randomBytes(1)), 404, "BLOB_UPLOAD_UNKNOWN");
    const bytes = randomBytes(1);
    await expectError(await put(location, digestOf(bytes), bytes), 404, "BLOB_UPLOAD_UNKNOWN");
    await expectError(await c.fetch(location, { method: "DELETE" }), 404, "BLOB_UPLOAD_UNKNOWN");
  });
});

describe("PUT closing checks", () => {
  test("a digest that does not match is 400 DIGEST_INVALID and no blob is stored", async () => {
    const name = repoName();
    const bytes = randomBytes(4000);
    const location = await c.startUpload(name);
    await expectStatus(await patch(location, bytes, "0-3999"), 202);
    const claimed = randomDigest();
    await expectError(await put(location, claimed), 400, "DIGEST_INVALID");
    expect(await fetchBlob(name, claimed)).toBe(404);
    expect(await fetchBlob(name, digestOf(bytes))).toBe(404);
    // Via HEAD as well: clients check existence that way before pushing.
    const head = await c.fetch(`/v2/${name}/blobs/${claimed}`, { method: "HEAD" });
    expect(head.status).toBe(404);
  });

  test("PUT without ?digest= is 400 DIGEST_INVALID", async () => {
    const location = await c.startUpload(repoName());
    await expectError(await c.fetch(location, { method: "PUT", body: randomBytes(3) }), 400, "DIGEST_INVALID");
  });

  test("a malformed digest is 400 DIGEST_INVALID", async () => {
    const name = repoName();
    const location = await c.startUpload(name);
    for (const bad of ["sha256:xyz", "sha256", `sha256:${"A".repeat(64)}`, `sha256:${"a".repeat(63)}`, ":abc"]) {
      await expectError(await put(location, bad, randomBytes(1)), 400, "DIGEST_INVALID");
    }
    await expectError(await c.fetch(`/v2/${name}/blobs/uploads/?digest=sha256:nothex`, { method: "POST", body: "x" }), 400, "DIGEST_INVALID");
  });

  test("a refused POST does not create the repository", async () => {
    const name = repoName("fresh");
    await expectError(await c.fetch(`/v2/${name}/blobs/uploads/?digest=sha256:nothex`, { method: "POST", body: "x" }), 400, "DIGEST_INVALID");
    await expectError(await c.fetch(`/v2/${name}/blobs/uploads/?mount=nothex&from=a/b`, { method: "POST" }), 400, "DIGEST_INVALID");
    await expectError(await c.fetch(`/v2/${name}/blobs/uploads/?digest=md5:${"a".repeat(32)}`, { method: "POST", body: "x" }), 400, "UNSUPPORTED");
    await expectError(await c.fetch(`/v2/${name}/tags/list`), 404, "NAME_UNKNOWN");
  });

  test("an unsupported algorithm is UNSUPPORTED", async () => {
    const name = repoName();
    const location = await c.startUpload(name);
    await expectError(await put(location, `sha384:${"a".repeat(96)}`, randomBytes(1)), 400, "UNSUPPORTED");
    await expectError(await c.fetch(`/v2/${name}/blobs/uploads/?digest=md5:${"a".repeat(32)}`, { method: "POST", body: "x" }), 400, "UNSUPPORTED");
  });
});

describe("sha512", () => {
  test("monolithic POST with a sha512 digest", async () => {
    const name = repoName();
    const bytes = randomBytes(10_000);
    const digest = digestOf(bytes, "sha512");
    const res = await c.fetch(`/v2/${name}/blobs/uploads/?digest=${digest}`, { method: "POST", body: bytes });
    await expectStatus(res, 201);
    expect(res.headers.get("docker-content-digest")).toBe(digest);
    expectSameBytes(await fetchBlob(name, digest), bytes);
  });

  test("chunked upload closed with a sha512 digest", async () => {
    const name = repoName();
    const bytes = randomBytes(10_000);
    const digest = digestOf(bytes, "sha512");
    const location = await c.startUpload(name);
    await expectStatus(await patch(location, bytes.subarray(0, 6000), "0-5999"), 202);
    await expectStatus(await patch(location, bytes.subarray(6000)), 202);
    const res = await put(location, digest);
    await expectStatus(res, 201);
    expect(res.headers.get("location")).toBe(`${server.url}/v2/${name}/blobs/${digest}`);
    expectSameBytes(await fetchBlob(name, digest), bytes);
  });

  test("a wrong sha512 digest is DIGEST_INVALID", async () => {
    const name = repoName();
    const bytes = randomBytes(100);
    const wrong = digestOf(randomBytes(100), "sha512");
    await expectError(await c.fetch(`/v2/${name}/blobs/uploads/?digest=${wrong}`, { method: "POST", body: bytes }), 400, "DIGEST_INVALID");
    expect(await fetchBlob(name, wrong)).toBe(404);
  });
});

describe("empty blobs", () => {
  test("monolithic POST of zero bytes; HEAD and GET report size 0", async () => {
    const name = repoName();
    const res = await c.fetch(`/v2/${name}/blobs/uploads/?digest=${EMPTY_SHA256}`, { method: "POST", headers: { "Content-Length": "0" } });
    await expectStatus(res, 201);
    const raw = await rawRequest(server.url, "HEAD", `/v2/${name}/blobs/${EMPTY_SHA256}`);
    expect(raw.status).toBe(200);
    expect(raw.headers.get("content-length")).toBe("0");
    expect(raw.headers.get("docker-content-digest")).toBe(EMPTY_SHA256);
    const get = await c.fetch(`/v2/${name}/blobs/${EMPTY_SHA256}`);
    const body = await expectStatus(get, 200);
    expect(body.byteLength).toBe(0);
    expect(get.headers.get("content-length")).toBe("0");
  });

  test("a session closed by a PUT with no data", async () => {
    const name = repoName();
    const location = await c.startUpload(name);
    await expectStatus(await put(location, EMPTY_SHA256), 201);
    const body = await fetchBlob(name, EMPTY_SHA256);
    expectSameBytes(body, new Uint8Array(0));
  });

  test("any Range on an empty blob is 416", async () => {
    const name = repoName();
    await c.pushBlob(name, new Uint8Array(0));
    const res = await c.fetch(`/v2/${name}/blobs/${EMPTY_SHA256}`, { headers: { Range: "bytes=0-" } });
    expect(res.status).toBe(416);
    expect(res.headers.get("content-range")).toBe("bytes */0");
    await res.arrayBuffer();
  });
});

describe("cross-repository mount", () => {
  test("201 with Location and digest; the blob is then served by the target", async () => {
    const from = repoName("src");
    const to = repoName("dst");
    const blob = await c.pushBlob(from, randomBytes(2048));
    const res = await c.fetch(`/v2/${to}/blobs/uploads/?mount=${blob.digest}&from=${from}`, { method: "POST" });
    await expectStatus(res, 201);
    expect(res.headers.get("location")).toBe(`${server.url}/v2/${to}/blobs/${blob.digest}`);
    expect(res.headers.get("docker-content-digest")).toBe(blob.digest);
    expectSameBytes(await fetchBlob(to, blob.digest), blob.bytes);
    // Unlinking from the source leaves the target's link.
    await expectStatus(await c.fetch(`/v2/${from}/blobs/${blob.digest}`, { method: "DELETE" }), 202);
    expectSameBytes(await fetchBlob(to, blob.digest), blob.bytes);
  });

  test("mount from a single-component name uses its library/ repository", async () => {
    const single = `mnt${crypto.randomUUID().slice(0, 6)}`;
    const to = repoName();
    const blob = await c.pushBlob(single, randomBytes(64));
    await expectStatus(await c.fetch(`/v2/${to}/blobs/uploads/?mount=${blob.digest}&from=${single}`, { method: "POST" }), 201);
    await expectStatus(await c.fetch(`/v2/${to}/blobs/uploads/?mount=${blob.digest}&from=library/${single}`, { method: "POST" }), 201);
    expectSameBytes(await fetchBlob(to, blob.digest), blob.bytes);
  });

  /** A fallback 202 is a working upload session. */
  async function expectFallbackSession(res: Response, to: string, bytes: Bytes) {
    await expectStatus(res, 202);
    const location = res.headers.get("location")!;
    expect(location).toStartWith(`${server.url}/v2/${to}/blobs/uploads/`);
    expect(res.headers.get("docker-upload-uuid")).toMatch(UUID_RE);
    await expectStatus(await put(c.url(location), digestOf(bytes), bytes), 201);
    expectSameBytes(await fetchBlob(to, digestOf(bytes)), bytes);
  }

  test("from an unknown repository: falls back to a 202 upload session", async () => {
    const to = repoName();
    const bytes = randomBytes(300);
    const res = await c.fetch(`/v2/${to}/blobs/uploads/?mount=${digestOf(bytes)}&from=${repoName("nowhere")}`, { method: "POST" });
    await expectFallbackSession(res, to, bytes);
  });

  test("of a blob the source does not have: 202 session, even if another repository has it", async () => {
    const from = repoName("src");
    const holder = repoName("holder");
    const to = repoName("dst");
    await c.pushBlob(from, randomBytes(10)); // the source exists
    const hidden = await c.pushBlob(holder, randomBytes(300)); // only `holder` may serve it
    const res = await c.fetch(`/v2/${to}/blobs/uploads/?mount=${hidden.digest}&from=${from}`, { method: "POST" });
    expect(res.status).toBe(202);
    await res.arrayBuffer();
    expect(await fetchBlob(to, hidden.digest)).toBe(404);
    const unknown = randomBytes(50);
    const res2 = await c.fetch(`/v2/${to}/blobs/uploads/?mount=${digestOf(unknown)}&from=${from}`, { method: "POST" });
    await expectFallbackSession(res2, to, unknown);
  });

  test("from an invalid repository name: 202 session", async () => {
    const to = repoName();
    const bytes = randomBytes(20);
    const res = await c.fetch(`/v2/${to}/blobs/uploads/?mount=${digestOf(bytes)}&from=../../Etc`, { method: "POST" });
    await expectFallbackSession(res, to, bytes);
  });

  test("mount without from: 202 session", async () => {
    const from = repoName();
    const to = repoName();
    const blob = await c.pushBlob(from, randomBytes(20));
    const res = await c.fetch(`/v2/${to}/blobs/uploads/?mount=${blob.digest}`, { method: "POST" });
    expect(res.status).toBe(202);
    expectApiVersion(res);
    await res.arrayBuffer();
  });
});
