// The upstream client against small loopback servers that record what they receive: credentials
// reach only the configured host (a redirect to blob storage elsewhere drops them), Basic auth
// after a Basic challenge, Link pages followed, digests checked for manifests and blobs, and
// loopback refused unless allowed, a proxy resolving to a metadata address too.
import { afterAll, beforeAll, describe, expect, test } from "bun:test";
import { UpstreamClient, UpstreamError } from "../../../src/upstream";

const sha256 = (b: Uint8Array | string) => `sha256:${new Bun.CryptoHasher("sha256").update(b).digest("hex")}`;
const BLOB = new TextEncoder().encode("the layer bytes");
const BLOB_DIGEST = sha256(BLOB);
const MANIFEST = JSON.stringify({ schemaVersion: 2, mediaType: "application/vnd.oci.image.manifest.v1+json", config: { mediaType: "application/vnd.oci.image.config.v1+json", digest: BLOB_DIGEST, size: BLOB.byteLength }, layers: [] });
const BASIC = `Basic ${Buffer.from("mirror:s3cret").toString("base64")}`;

type Seen = { path: string; authorization: string | null }[];
let registry: ReturnType<typeof Bun.serve>;
let storage: ReturnType<typeof Bun.serve>;
const atRegistry: Seen = [];
const atStorage: Seen = [];
let corrupt = false;

beforeAll(() => {
  storage = Bun.serve({
    hostname: "127.0.0.1",
    port: 0,
    fetch(req) {
      atStorage.push({ path: new URL(req.url).pathname, authorization: req.headers.get("authorization") });
      return new Response(corrupt ? new TextEncoder().encode("other bytes, same len") : BLOB);
    },
  });
  registry = Bun.serve({
    hostname: "127.0.0.1",
    port: 0,
    fetch(req) {
      const url = new URL(req.url);
      atRegistry.push({ path: url.pathname + url.search, authorization: req.headers.get("authorization") });
      if (req.headers.get("authorization") !== BASIC) return new Response("{}", { status: 401, headers: { "WWW-Authenticate": 'Basic realm="test"' } });
      if (url.pathname === "/v2/ns/app/tags/list") {
        const last = url.searchParams.get("last");
        if (!last) return Response.json({ tags: ["a", "b"] }, { headers: { Link: '</v2/ns/app/tags/list?n=2&last=b>; rel="next"' } });
        return Response.json({ tags: ["c"] });
      }
      if (url.pathname === "/v2/ns/app/manifests/v1")
        return new Response(MANIFEST, { headers: { "Content-Type": "application/vnd.oci.image.manifest.v1+json", "Docker-Content-Digest": sha256(MANIFEST) } });
      if (url.pathname === "/v2/ns/app/manifests/lying")
        return new Response(MANIFEST, { headers: { "Content-Type": "application/vnd.oci.image.manifest.v1+json", "Docker-Content-Digest": sha256("something else") } });
      if (url.pathname === `/v2/ns/app/blobs/${BLOB_DIGEST}`) return Response.redirect(`http://127.0.0.1:${storage.port}/bucket/blob?sig=x`, 307);
      return new Response("{}", { status: 404 });
    },
  });
});
afterAll(() => {
  registry?.stop(true);
  storage?.stop(true);
});

const client = (allowLoopback = true, password = "s3cret") =>
  new UpstreamClient({
    host: `127.0.0.1:${registry.port}`,
    scheme: "http",
    credentials: { username: "mirror", password },
    maxManifestBytes: 4096,
    policy: { allowLoopback, allowLinkLocal: false },
    verifyTls: true,
  });

describe("the upstream client", () => {
  test("answers a Basic challenge and follows Link pages", async () => {
    expect(await client().tags("ns/app")).toEqual(["a", "b", "c"]);
    expect(atRegistry.some((r) => r.path.includes("last=b") && r.authorization === BASIC)).toBe(true);
  });

  test("a redirect to another host carries no credentials; the blob is checked as it streams", async () => {
    atStorage.length = 0;
    const body = await new Response(await client().blob("ns/app", BLOB_DIGEST, BLOB.byteLength)).bytes();
    expect(new TextDecoder().decode(body)).toBe("the layer bytes");
    expect(atStorage).toEqual([{ path: "/bucket/blob", authorization: null }]);
    expect(atRegistry.find((r) => r.path.startsWith("/v2/ns/app/blobs/") && r.authorization)?.authorization).toBe(BASIC);
  });

  test("bytes that are not the blob named fail the stream", async () => {
    corrupt = true;
    try {
      const stream = await client().blob("ns/app", BLOB_DIGEST);
      await expect(new Response(stream).bytes()).rejects.toThrow(/upstream sent sha256:/);
    } finally {
      corrupt = false;
    }
  });

  test("manifests: the digest is computed and checked against what the upstream claims", async () => {
    const m = await client().manifest("ns/app", "v1");
    expect(m?.digest).toBe(sha256(MANIFEST));
    expect(m?.mediaType).toBe("application/vnd.oci.image.manifest.v1+json");
    await expect(client().manifest("ns/app", "lying")).rejects.toThrow(/not sha256:/);
    expect(await client().manifest("ns/app", "missing")).toBeUndefined();
  });

  test("wrong credentials are an error that says so", async () => {
    const e = await client(true, "wrong").tags("ns/app").catch((e) => e);
    expect(e).toBeInstanceOf(UpstreamError);
    expect(e.message).toContain("refused the credentials");
  });

  test("loopback is refused unless the setting allows it, before any request", async () => {
    const before = atRegistry.length;
    const e = await client(false).tags("ns/app").catch((e) => e);
    expect(e.message).toContain("mirrorAllowLoopback is off");
    expect(atRegistry.length).toBe(before);
  });

  test("a proxy whose name resolves to a link-local address is refused at each connection, before any request (DNS can change after configuration)", async () => {
    const before = atRegistry.length;
    const proxied = new UpstreamClient({
      host: `127.0.0.1:${registry.port}`,
      scheme: "http",
      credentials: { username: "mirror", password: "s3cret" },
      maxManifestBytes: 4096,
      policy: { allowLoopback: true, allowLinkLocal: false },
      verifyTls: true,
      proxy: { http: "http://proxy.example:3128" },
      resolve: async (name) => (name === "proxy.example" ? ["169.254.169.254"] : ["127.0.0.1"]),
    });
    const e = await proxied.tags("ns/app").catch((e) => e);
    expect(e.message).toContain("mirrorAllowLinkLocal is off");
    expect(atRegistry.length).toBe(before);
  });
});
