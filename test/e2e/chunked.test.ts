// Against the compiled binary: a 300 MiB blob pushed in 16 MiB chunks (POST, PATCH with
// Content-Range, PUT ?digest=) and streamed back, and tags/list paged over 1,000 tags.
import { afterAll, beforeAll, describe, expect, test } from "bun:test";
import { rmSync } from "node:fs";
import { startBinary, type BinaryServer } from "../support/server";
import { hashBody, locationOf, mapLimit, MiB, rangeEnd, SeededBytes, sha256Of, withQuery } from "../support/e2eHelpers";

let srv: BinaryServer;

beforeAll(async () => {
  srv = await startBinary();
});

afterAll(async () => {
  await srv?.stop();
  if (srv) rmSync(srv.dataDir, { recursive: true, force: true });
});

describe("chunked upload of 300 MiB", () => {
  const SIZE = 300 * MiB;
  const CHUNK = 16 * MiB;
  const gen = new SeededBytes("chunked-300");
  const repo = "e2e/chunked";
  let digest: string;

  test("POST, 19 PATCHes with Content-Range, PUT ?digest= → 201; the client hashes as it sends", async () => {
    const started = performance.now();
    const post = await fetch(`${srv.url}/v2/${repo}/blobs/uploads/`, { method: "POST", headers: { "Content-Length": "0" } });
    expect(post.status).toBe(202);
    let location = locationOf(srv.url, post);
    const hasher = new Bun.CryptoHasher("sha256");
    let offset = 0;
    let patches = 0;
    // One 16 MiB chunk is generated, hashed and sent at a time: never the whole blob in memory.
    for (const chunk of gen.chunks(0, SIZE, CHUNK)) {
      hasher.update(chunk);
      const res = await fetch(location, {
        method: "PATCH",
        headers: {
          "Content-Type": "application/octet-stream",
          "Content-Range": `${offset}-${offset + chunk.byteLength - 1}`,
          "Content-Length": String(chunk.byteLength),
        },
        body: chunk,
      });
      if (res.status !== 202) throw new Error(`PATCH at ${offset}: ${res.status} ${await res.text()}`);
      offset += chunk.byteLength;
      patches++;
      expect(rangeEnd(res)).toBe(offset);
      location = locationOf(srv.url, res);
      if (patches === 3) {
        // Mid-way the session reports exactly what it holds…
        const status = await fetch(location);
        expect(status.status).toBe(204);
        expect(status.headers.get("range")).toBe(`0-${offset - 1}`);
        // …and a chunk that does not continue it is refused with the offset to resume from.
        const wrong = await fetch(location, {
          method: "PATCH",
          headers: { "Content-Range": `${offset + 16}-${offset + 31}`, "Content-Length": "16" },
          body: new Uint8Array(16),
        });
        expect(wrong.status).toBe(416);
        expect(wrong.headers.get("range")).toBe(`0-${offset - 1}`);
        await wrong.arrayBuffer();
      }
    }
    expect(patches).toBe(Math.ceil(SIZE / CHUNK));
    digest = `sha256:${hasher.digest("hex")}`;
    const put = await fetch(withQuery(location, "digest", digest), { method: "PUT", headers: { "Content-Length": "0" } });
    expect(put.status).toBe(201);
    expect(put.headers.get("docker-content-digest")).toBe(digest);
    expect(put.headers.get("location")).toBe(`${srv.url}/v2/${repo}/blobs/${digest}`);
    const secs = (performance.now() - started) / 1000;
    console.log(`chunked upload: ${SIZE / MiB} MiB in ${patches} chunks, ${(SIZE / MiB / secs).toFixed(0)} MiB/s`);
  }, 180_000); // longer than bunfig's 120 s: 300 MiB in 19 chunks, hashed by the client

  test("GET streams it back: the sha256 of the body matches and its length is 300 MiB", async () => {
    const head = await fetch(`${srv.url}/v2/${repo}/blobs/${digest}`, { method: "HEAD" });
    expect(head.status).toBe(200);
    expect(head.headers.get("content-length")).toBe(String(SIZE));
    const started = performance.now();
    const res = await fetch(`${srv.url}/v2/${repo}/blobs/${digest}`);
    expect(res.status).toBe(200);
    expect(res.headers.get("docker-content-digest")).toBe(digest);
    expect(await hashBody(res)).toEqual({ digest, size: SIZE });
    console.log(`chunked download: ${(SIZE / MiB / ((performance.now() - started) / 1000)).toFixed(0)} MiB/s`);
  });

  test("a Range GET across a chunk boundary returns exactly those bytes", async () => {
    const start = 5 * CHUNK - 8 * 1024; // 16-aligned, straddles chunks 5 and 6
    const length = MiB;
    const res = await fetch(`${srv.url}/v2/${repo}/blobs/${digest}`, { headers: { Range: `bytes=${start}-${start + length - 1}` } });
    expect(res.status).toBe(206);
    expect(res.headers.get("content-range")).toBe(`bytes ${start}-${start + length - 1}/${SIZE}`);
    const body = new Uint8Array(await res.arrayBuffer());
    const expected = gen.chunks(start, length, length).next().value as Uint8Array;
    expect(body.byteLength).toBe(length);
    expect(Buffer.compare(body, expected)).toBe(0);
  });
});

describe("tags/list over 1,000 tags", () => {
  const repo = "e2e/many-tags";
  const COUNT = 1000;
  // Mixed case, digits, '_', '.', '-': byte order differs from numeric and case-folded order.
  const prefixes = ["v", "V", "_x", "rel.", "z-", "a"];
  const names = Array.from({ length: COUNT }, (_, i) => `${prefixes[i % prefixes.length]}${i}`);

  test("1,000 distinct manifests pushed under 1,000 tags, 16 at a time", async () => {
    const started = performance.now();
    const config = new TextEncoder().encode("{}");
    const configDigest = sha256Of(config);
    const res = await fetch(`${srv.url}/v2/${repo}/blobs/uploads/?digest=${configDigest}`, { method: "POST", body: config });
    expect(res.status).toBe(201);
    const statuses = await mapLimit(names, 16, async (tag, i) => {
      const manifest = JSON.stringify({
        schemaVersion: 2,
        mediaType: "application/vnd.oci.image.manifest.v1+json",
        artifactType: "application/vnd.example.e2e",
        config: { mediaType: "application/vnd.oci.empty.v1+json", digest: configDigest, size: 2 },
        layers: [],
        annotations: { "e2e.index": String(i) },
      });
      const put = await fetch(`${srv.url}/v2/${repo}/manifests/${tag}`, {
        method: "PUT",
        headers: { "Content-Type": "application/vnd.oci.image.manifest.v1+json" },
        body: manifest,
      });
      if (put.status !== 201) throw new Error(`PUT ${tag}: ${put.status} ${await put.text()}`);
      expect(put.headers.get("docker-content-digest")).toBe(sha256Of(manifest));
      return put.status;
    });
    expect(statuses.filter((s) => s === 201).length).toBe(COUNT);
    const secs = (performance.now() - started) / 1000;
    console.log(`tags: ${COUNT} manifest PUTs in ${secs.toFixed(2)} s (${(COUNT / secs).toFixed(0)}/s)`);
  });

  test("following Link with n=100 yields every tag once, in byte order, 10 pages", async () => {
    const seen: string[] = [];
    let next: string | undefined = `/v2/${repo}/tags/list?n=100`;
    let pages = 0;
    while (next) {
      const res = await fetch(new URL(next, srv.url));
      expect(res.status).toBe(200);
      const body = (await res.json()) as { name: string; tags: string[] };
      expect(body.name).toBe(repo);
      expect(body.tags.length).toBeLessThanOrEqual(100);
      seen.push(...body.tags);
      pages++;
      const link = res.headers.get("link");
      if (link === null) {
        next = undefined;
      } else {
        const m = /^<([^>]+)>;\s*rel="next"$/.exec(link);
        expect(m).not.toBeNull();
        next = m![1]!;
        expect(next).toContain("n=100");
      }
      expect(pages).toBeLessThanOrEqual(11);
    }
    const sorted = [...names].sort(); // UTF-16 code unit order = byte order for ASCII
    expect(pages).toBe(10);
    expect(new Set(seen).size).toBe(seen.length);
    expect(seen).toEqual(sorted);
    expect(sorted[0]).toBe("V1");
  });

  test("without n, one page holds all 1,000 and no Link", async () => {
    const res = await fetch(`${srv.url}/v2/${repo}/tags/list`);
    expect(res.status).toBe(200);
    expect(res.headers.get("link")).toBeNull();
    const body = (await res.json()) as { tags: string[] };
    expect(body.tags).toEqual([...names].sort());
  });
});
