// PUT / GET / HEAD / DELETE /v2/<name>/manifests/<reference> for OCI and Docker manifests and
// indexes: exact bytes and headers, Accept negotiation, validation errors, names and tags.
import { beforeAll, describe, expect, test } from "bun:test";
import { serverForFile, type TestServer } from "../support/server";
import {
  asDescriptor,
  digestOf,
  expectApiVersion,
  expectError,
  expectStatus,
  manifestDescriptor,
  MT,
  randomBytes,
  randomDigest,
  rawRequest,
  RegistryClient,
  repoName,
  utf8,
  type Image,
} from "../support/registryClient";

let server: TestServer;
let c: RegistryClient;
serverForFile((started) => {
  server = started;
  c = new RegistryClient(started.url);
});

const mpath = (repo: string, ref: string) => `/v2/${repo}/manifests/${ref}`;

/** GET (or HEAD) a manifest and check everything a puller relies on. */
async function expectManifest(repo: string, ref: string, want: { bytes: Uint8Array; digest: string; mediaType: string }, accept?: string) {
  const headers: Record<string, string> = accept ? { Accept: accept } : {};
  const res = await c.fetch(mpath(repo, ref), { headers });
  const body = await expectStatus(res, 200);
  expect(Buffer.from(body).equals(Buffer.from(want.bytes))).toBe(true);
  expect(res.headers.get("content-type")).toBe(want.mediaType);
  expect(res.headers.get("content-length")).toBe(String(want.bytes.byteLength));
  expect(res.headers.get("docker-content-digest")).toBe(want.digest);
  expect(res.headers.get("content-range")).toBeNull();

  const head = await rawRequest(server.url, "HEAD", mpath(repo, ref), headers);
  expect(head.status).toBe(200);
  expect(head.headers.get("content-length")).toBe(String(want.bytes.byteLength));
  expect(head.headers.get("content-type")).toBe(want.mediaType);
  expect(head.headers.get("docker-content-digest")).toBe(want.digest);
  expect(head.headers.get("docker-distribution-api-version")).toBe("registry/2.0");
  expect(head.body).toBe("");
}

/** Pretty-printed with odd spacing: the registry must keep these exact bytes. */
function oddlyFormatted(manifest: unknown): Uint8Array {
  return utf8(JSON.stringify(manifest, null, 3).replace(/\n/g, "\r\n") + "\n\n");
}

describe("OCI image manifest", () => {
  let name: string;
  let image: Image;
  let bytes: Uint8Array;
  let digest: string;

  beforeAll(async () => {
    name = repoName();
    image = await c.makeImage(name, { layers: 3 });
    bytes = oddlyFormatted(image.manifest);
    digest = digestOf(bytes);
  });

  test("PUT by tag: 201 with Location and Docker-Content-Digest of the exact bytes", async () => {
    const { res } = await c.putManifest(name, "v1", bytes, MT.ociManifest);
    await expectStatus(res, 201);
    expect(res.headers.get("location")).toBe(`${server.url}/v2/${name}/manifests/${digest}`);
    expect(res.headers.get("docker-content-digest")).toBe(digest);
    expect(res.headers.get("oci-subject")).toBeNull();
  });

  test("GET and HEAD by tag and by digest return the bytes as pushed", async () => {
    await expectManifest(name, "v1", { bytes, digest, mediaType: MT.ociManifest });
    await expectManifest(name, digest, { bytes, digest, mediaType: MT.ociManifest });
  });

  test("the Location answered is pullable", async () => {
    const res = await c.fetch(`/v2/${name}/manifests/${digest}`);
    await expectStatus(res, 200);
  });

  test("PUT by its own digest is accepted", async () => {
    const other = await c.makeImage(name, { layers: 1 });
    const { res } = await c.putManifest(name, other.digest, other.bytes, MT.ociManifest);
    await expectStatus(res, 201);
    expect(res.headers.get("docker-content-digest")).toBe(other.digest);
    await expectManifest(name, other.digest, other);
  });

  test("PUT again is idempotent", async () => {
    const { res } = await c.putManifest(name, "v1", bytes, MT.ociManifest);
    await expectStatus(res, 201);
    await expectManifest(name, "v1", { bytes, digest, mediaType: MT.ociManifest });
  });

  test("a manifest without a mediaType field is recognised by its shape", async () => {
    const { mediaType: _drop, ...rest } = image.manifest;
    const { res, bytes: b, digest: d } = await c.putManifest(name, "no-media-type", rest, MT.ociManifest);
    await expectStatus(res, 201);
    await expectManifest(name, "no-media-type", { bytes: b, digest: d, mediaType: MT.ociManifest });
  });

  test("Content-Type parameters are ignored", async () => {
    const { res } = await c.putManifest(name, "with-params", image.bytes, `${MT.ociManifest}; charset=utf-8`);
    await expectStatus(res, 201);
    await expectManifest(name, "with-params", image);
  });

  test("pushing another manifest to a tag moves the tag and keeps the old one by digest", async () => {
    const first = await c.pushImage(name, "moving");
    const second = await c.pushImage(name, "moving");
    await expectManifest(name, "moving", second);
    await expectManifest(name, first.digest, first);
  });

  test("a layer with urls (foreign layer) need not be in the repository", async () => {
    const foreign = { mediaType: "application/vnd.oci.image.layer.nondistributable.v1.tar+gzip", digest: randomDigest(), size: 123, urls: ["https://example.com/layer"] };
    const manifest = { ...image.manifest, layers: [...(image.manifest.layers as unknown[]), foreign] };
    const { res } = await c.putManifest(name, "foreign", manifest);
    await expectStatus(res, 201);
  });

  test("an artifact manifest with the empty config and no layers", async () => {
    const empty = await c.pushBlob(name, utf8("{}"), MT.ociEmpty);
    const manifest = { schemaVersion: 2, mediaType: MT.ociManifest, artifactType: "application/vnd.example.thing", config: asDescriptor(empty), layers: [] };
    const { res, bytes: b, digest: d } = await c.putManifest(name, "artifact", manifest);
    await expectStatus(res, 201);
    await expectManifest(name, "artifact", { bytes: b, digest: d, mediaType: MT.ociManifest });
  });
});

describe("OCI image index", () => {
  test("PUT after its children; GET serves it as an index", async () => {
    const name = repoName();
    const amd = await c.pushImage(name, undefined, { architecture: "amd64" });
    const arm = await c.pushImage(name, undefined, { architecture: "arm64" });
    const index = {
      schemaVersion: 2,
      mediaType: MT.ociIndex,
      manifests: [
        manifestDescriptor(amd, { platform: { architecture: "amd64", os: "linux" } }),
        manifestDescriptor(arm, { platform: { architecture: "arm64", os: "linux" } }),
      ],
      annotations: { "org.opencontainers.image.version": "1.0" },
    };
    const bytes = oddlyFormatted(index);
    const { res, digest } = await c.putManifest(name, "multi", bytes, MT.ociIndex);
    await expectStatus(res, 201);
    expect(res.headers.get("docker-content-digest")).toBe(digest);
    await expectManifest(name, "multi", { bytes, digest, mediaType: MT.ociIndex });
    await expectManifest(name, digest, { bytes, digest, mediaType: MT.ociIndex });
  });

  test("an index may nest an index", async () => {
    const name = repoName();
    const img = await c.pushImage(name);
    const inner = await c.pushManifest(name, "inner", { schemaVersion: 2, mediaType: MT.ociIndex, manifests: [manifestDescriptor(img)] });
    const outer = { schemaVersion: 2, mediaType: MT.ociIndex, manifests: [manifestDescriptor({ ...inner, mediaType: MT.ociIndex })] };
    const { res } = await c.putManifest(name, "outer", outer);
    await expectStatus(res, 201);
  });

  test("an empty index is valid", async () => {
    const name = repoName();
    const { res } = await c.putManifest(name, "empty", { schemaVersion: 2, mediaType: MT.ociIndex, manifests: [] });
    await expectStatus(res, 201);
  });
});

describe("Docker schema 2", () => {
  test("image manifest: PUT, GET and HEAD with the Docker media type", async () => {
    const name = repoName();
    const image = await c.makeImage(name, { format: "docker" });
    expect(image.mediaType).toBe(MT.dockerManifest);
    const { res } = await c.putManifest(name, "latest", image.bytes, MT.dockerManifest);
    await expectStatus(res, 201);
    expect(res.headers.get("docker-content-digest")).toBe(image.digest);
    await expectManifest(name, "latest", image);
    await expectManifest(name, image.digest, image);
  });

  test("manifest list: PUT after its children; GET as a manifest list", async () => {
    const name = repoName();
    const a = await c.pushImage(name, undefined, { format: "docker", architecture: "amd64" });
    const b = await c.pushImage(name, undefined, { format: "docker", architecture: "arm64" });
    const list = {
      schemaVersion: 2,
      mediaType: MT.dockerList,
      manifests: [
        manifestDescriptor(a, { platform: { architecture: "amd64", os: "linux" } }),
        manifestDescriptor(b, { platform: { architecture: "arm64", os: "linux" } }),
      ],
    };
    const { res, bytes, digest } = await c.putManifest(name, "latest", list, MT.dockerList);
    await expectStatus(res, 201);
    await expectManifest(name, "latest", { bytes, digest, mediaType: MT.dockerList });
  });

  test("a Docker manifest must carry its mediaType field", async () => {
    const name = repoName();
    const image = await c.makeImage(name, { format: "docker" });
    const { mediaType: _drop, ...rest } = image.manifest;
    await expectError((await c.putManifest(name, "x", rest, MT.dockerManifest)).res, 400, "MANIFEST_INVALID");
  });
});

describe("Accept negotiation", () => {
  let name: string;
  let oci: Image;
  let docker: Image;

  beforeAll(async () => {
    name = repoName();
    oci = await c.pushImage(name, "oci");
    docker = await c.pushImage(name, "docker", { format: "docker" });
  });

  test("an Accept listing the stored type (among others, with q-values) gets it", async () => {
    await expectManifest(name, "oci", oci, MT.ociManifest);
    await expectManifest(name, "oci", oci, `${MT.dockerManifest}, ${MT.ociManifest};q=0.9, ${MT.ociIndex}`);
    await expectManifest(name, "docker", docker, `${MT.ociManifest}, ${MT.dockerManifest}`);
  });

  test("no Accept, */* or a generic type gets the stored manifest", async () => {
    await expectManifest(name, "oci", oci);
    await expectManifest(name, "oci", oci, "*/*");
    await expectManifest(name, "docker", docker, "application/json");
  });

  test("a tag whose type the Accept header does not list is 404 MANIFEST_UNKNOWN", async () => {
    const res = await c.fetch(mpath(name, "oci"), { headers: { Accept: `${MT.dockerManifest}, ${MT.dockerList}` } });
    const errors = await expectError(res, 404, "MANIFEST_UNKNOWN");
    expect(errors[0]!.message).toContain(MT.ociManifest);
    await expectError(await c.fetch(mpath(name, "docker"), { headers: { Accept: MT.ociManifest } }), 404, "MANIFEST_UNKNOWN");
    const head = await c.fetch(mpath(name, "oci"), { method: "HEAD", headers: { Accept: MT.dockerManifest } });
    expect(head.status).toBe(404);
  });

  test("by digest the stored bytes are served whatever Accept says (a digest names exact bytes)", async () => {
    // Docker CLI 20.10's `manifest inspect` of an OCI index sends a Docker-only Accept list.
    const index = { schemaVersion: 2, mediaType: MT.ociIndex, manifests: [manifestDescriptor({ ...oci, bytes: oci.bytes }, { platform: { architecture: "amd64", os: "linux" } })] };
    const pushed = await c.pushManifest(name, "index", index, MT.ociIndex);
    const want = { bytes: pushed.bytes, digest: pushed.digest, mediaType: MT.ociIndex };
    await expectManifest(name, pushed.digest, want, `${MT.dockerManifest}, ${MT.dockerList}, ${MT.schema1Signed}`);
    await expectManifest(name, oci.digest, oci, MT.dockerManifest);
    await expectManifest(name, docker.digest, docker, MT.ociManifest);
    // The same index by tag is still negotiated.
    await expectError(await c.fetch(mpath(name, "index"), { headers: { Accept: `${MT.dockerManifest}, ${MT.dockerList}` } }), 404, "MANIFEST_UNKNOWN");
  });
});

describe("subject and OCI-Subject", () => {
  test("PUT of a manifest with a subject answers OCI-Subject, even before the subject exists", async () => {
    const name = repoName();
    const subject = await c.makeImage(name); // not pushed yet
    const sbom = await c.makeImage(name, { artifactType: "application/vnd.example.sbom", subject: manifestDescriptor(subject), layers: 1 });
    const { res } = await c.putManifest(name, sbom.digest, sbom.bytes, MT.ociManifest);
    await expectStatus(res, 201);
    expect(res.headers.get("oci-subject")).toBe(subject.digest);
  });

  test("an index with a subject answers OCI-Subject too", async () => {
    const name = repoName();
    const subject = await c.pushImage(name, "base");
    const child = await c.pushImage(name);
    const index = { schemaVersion: 2, mediaType: MT.ociIndex, manifests: [manifestDescriptor(child)], subject: manifestDescriptor(subject) };
    const { res } = await c.putManifest(name, "sig-index", index);
    await expectStatus(res, 201);
    expect(res.headers.get("oci-subject")).toBe(subject.digest);
  });

  test("a bad subject descriptor is MANIFEST_INVALID", async () => {
    const name = repoName();
    const image = await c.makeImage(name, { layers: 0 });
    const manifest = { ...image.manifest, subject: { mediaType: MT.ociManifest, digest: "sha256:nope", size: 1 } };
    await expectError((await c.putManifest(name, "x", manifest)).res, 400, "MANIFEST_INVALID");
  });
});

describe("MANIFEST_BLOB_UNKNOWN", () => {
  test("a missing layer is refused and names the digest; nothing is tagged", async () => {
    const name = repoName();
    const image = await c.makeImage(name);
    const missing = randomDigest();
    const manifest = { ...image.manifest, layers: [...(image.manifest.layers as unknown[]), { mediaType: MT.ociLayer, digest: missing, size: 10 }] };
    const errors = await expectError((await c.putManifest(name, "broken", manifest)).res, 400, "MANIFEST_BLOB_UNKNOWN");
    expect(JSON.stringify(errors[0])).toContain(missing);
    await expectError(await c.fetch(mpath(name, "broken")), 404, "MANIFEST_UNKNOWN");
  });

  test("refused in a repository that does not exist yet, without creating it", async () => {
    const name = repoName("fresh");
    const image = await c.makeImage(repoName()); // blobs live elsewhere
    await expectError((await c.putManifest(name, "x", image.bytes, MT.ociManifest)).res, 400, "MANIFEST_BLOB_UNKNOWN");
    const index = { schemaVersion: 2, mediaType: MT.ociIndex, manifests: [manifestDescriptor(image)] };
    await expectError((await c.putManifest(name, "idx", index)).res, 400, "MANIFEST_BLOB_UNKNOWN");
    await expectError(await c.fetch(`/v2/${name}/tags/list`), 404, "NAME_UNKNOWN");
    // A manifest that needs nothing (an empty index) does create it.
    await expectStatus((await c.putManifest(name, "empty", { schemaVersion: 2, mediaType: MT.ociIndex, manifests: [] })).res, 201);
    expect(((await (await c.fetch(`/v2/${name}/tags/list`)).json()) as { tags: string[] }).tags).toEqual(["empty"]);
  });

  test("a missing config is refused", async () => {
    const name = repoName();
    const image = await c.makeImage(name);
    const manifest = { ...image.manifest, config: { mediaType: MT.ociConfig, digest: randomDigest(), size: 5 } };
    await expectError((await c.putManifest(name, "x", manifest)).res, 400, "MANIFEST_BLOB_UNKNOWN");
  });

  test("a layer that only another repository has is refused", async () => {
    const name = repoName();
    const elsewhere = repoName();
    const image = await c.makeImage(name);
    const foreign = await c.pushBlob(elsewhere, randomBytes(100));
    const manifest = { ...image.manifest, layers: [asDescriptor(foreign)] };
    await expectError((await c.putManifest(name, "x", manifest)).res, 400, "MANIFEST_BLOB_UNKNOWN");
  });

  test("a layer unlinked by DELETE blob is refused afterwards", async () => {
    const name = repoName();
    const image = await c.makeImage(name);
    await expectStatus(await c.fetch(`/v2/${name}/blobs/${image.layers[0]!.digest}`, { method: "DELETE" }), 202);
    await expectError((await c.putManifest(name, "x", image.bytes, MT.ociManifest)).res, 400, "MANIFEST_BLOB_UNKNOWN");
  });

  test("an index whose child manifest is missing is refused", async () => {
    const name = repoName();
    const present = await c.pushImage(name);
    const absent = await c.makeImage(name); // blobs pushed, manifest not
    const index = { schemaVersion: 2, mediaType: MT.ociIndex, manifests: [manifestDescriptor(present), manifestDescriptor(absent)] };
    const errors = await expectError((await c.putManifest(name, "idx", index)).res, 400, "MANIFEST_BLOB_UNKNOWN");
    expect(JSON.stringify(errors[0])).toContain(absent.digest);
  });

  test("an index whose child lives in another repository is refused", async () => {
    const name = repoName();
    const other = repoName();
    const child = await c.pushImage(other);
    const list = { schemaVersion: 2, mediaType: MT.dockerList, manifests: [manifestDescriptor(child)] };
    await expectError((await c.putManifest(name, "idx", list)).res, 400, "MANIFEST_BLOB_UNKNOWN");
  });
});

describe("MANIFEST_INVALID", () => {
  let name: string;
  let image: Image;
  beforeAll(async () => {
    name = repoName();
    image = await c.makeImage(name);
  });
  const put = async (body: unknown, contentType: string = MT.ociManifest) =>
    expectError((await c.putManifest(name, "bad", body, contentType)).res, 400, "MANIFEST_INVALID");

  test("not JSON", async () => {
    await put("{ this is not json");
    await put("");
  });

  test("JSON that is not an object", async () => {
    await put("[]");
    await put("42");
  });

  test("Docker schema 1, however announced", async () => {
    const errors = await put({ schemaVersion: 1, name, tag: "x", fsLayers: [], history: [] }, MT.schema1Signed);
    expect(errors[0]!.message.toLowerCase()).toContain("schema 1");
    await put({ schemaVersion: 1, name, tag: "x", fsLayers: [] }, "application/json");
    await put({ ...image.manifest, mediaType: MT.schema1 }, MT.schema1);
  });

  test("schemaVersion other than 2", async () => {
    await put({ ...image.manifest, schemaVersion: 3 });
    const { schemaVersion: _drop, ...rest } = image.manifest;
    await put(rest);
  });

  test("bad descriptors, with the JSON path in the message", async () => {
    const layers = image.manifest.layers as Record<string, unknown>[];
    const withLayer = (patch: Record<string, unknown>) => ({ ...image.manifest, layers: [{ ...layers[0], ...patch }] });
    expect((await put(withLayer({ digest: "sha256:short" })))[0]!.message).toContain("layers[0].digest");
    expect((await put(withLayer({ size: -1 })))[0]!.message).toContain("layers[0].size");
    expect((await put(withLayer({ size: "10" })))[0]!.message).toContain("layers[0].size");
    expect((await put(withLayer({ size: 1.5 })))[0]!.message).toContain("layers[0].size");
    expect((await put(withLayer({ mediaType: undefined })))[0]!.message).toContain("layers[0].mediaType");
    expect((await put(withLayer({ mediaType: "not a media type" })))[0]!.message).toContain("layers[0].mediaType");
    expect((await put(withLayer({ annotations: { a: 1 } })))[0]!.message).toContain("layers[0].annotations");
    expect((await put({ ...image.manifest, config: "sha256:abc" }))[0]!.message).toContain("config");
    await put({ ...image.manifest, layers: "none" });
    const { layers: _l, ...noLayers } = image.manifest;
    await put(noLayers);
    const { config: _c, ...noConfig } = image.manifest;
    await put(noConfig);
  });

  test("an unsupported algorithm inside a descriptor", async () => {
    const layers = image.manifest.layers as Record<string, unknown>[];
    await put({ ...image.manifest, layers: [{ ...layers[0], digest: `md5:${"a".repeat(32)}` }] });
  });

  test("mediaType field and Content-Type disagree", async () => {
    const errors = await put(image.manifest, MT.ociIndex);
    expect(errors[0]!.message).toContain("Content-Type");
    await put(image.manifest, MT.dockerManifest);
  });

  test("an index shaped like an image, an image shaped like an index", async () => {
    await put({ ...image.manifest, mediaType: MT.ociIndex }, MT.ociIndex);
    await put({ schemaVersion: 2, mediaType: MT.ociManifest, manifests: [] }, MT.ociManifest);
  });

  test("an unknown manifest media type", async () => {
    await put({ ...image.manifest, mediaType: "application/vnd.example.manifest+json" }, "application/vnd.example.manifest+json");
  });

  test("nothing bad was stored under the tag", async () => {
    await expectError(await c.fetch(mpath(name, "bad")), 404, "MANIFEST_UNKNOWN");
  });
});

describe("digest and size checks", () => {
  test("PUT by a digest that is not the content's is 400 DIGEST_INVALID", async () => {
    const name = repoName();
    const image = await c.makeImage(name);
    const wrong = randomDigest();
    const errors = await expectError((await c.putManifest(name, wrong, image.bytes, MT.ociManifest)).res, 400, "DIGEST_INVALID");
    expect(errors[0]!.message).toContain(image.digest);
    await expectError(await c.fetch(mpath(name, wrong)), 404, "MANIFEST_UNKNOWN");
    await expectError(await c.fetch(mpath(name, image.digest)), 404, "MANIFEST_UNKNOWN");
  });

  test("PUT by a sha512 digest stores and serves it under that digest", async () => {
    const name = repoName();
    const image = await c.makeImage(name);
    const d512 = digestOf(image.bytes, "sha512");
    const { res } = await c.putManifest(name, d512, image.bytes, MT.ociManifest);
    await expectStatus(res, 201);
    expect(res.headers.get("docker-content-digest")).toBe(d512);
    expect(res.headers.get("location")).toBe(`${server.url}/v2/${name}/manifests/${d512}`);
    await expectManifest(name, d512, { bytes: image.bytes, digest: d512, mediaType: MT.ociManifest });
  });

  test("PUT by a digest of an unsupported algorithm is UNSUPPORTED", async () => {
    const name = repoName();
    const image = await c.makeImage(name);
    await expectError((await c.putManifest(name, `sha384:${"a".repeat(96)}`, image.bytes, MT.ociManifest)).res, 400, "UNSUPPORTED");
  });

  test("a manifest over 4 MiB is 413 SIZE_INVALID; exactly 4 MiB is accepted", async () => {
    const name = repoName();
    const image = await c.makeImage(name, { layers: 1 });
    const LIMIT = 4 * 1024 * 1024;
    const sized = (size: number) => {
      const base = JSON.stringify({ ...image.manifest, annotations: { pad: "" } });
      return utf8(JSON.stringify({ ...image.manifest, annotations: { pad: "x".repeat(size - base.length) } }));
    };
    const exact = sized(LIMIT);
    expect(exact.byteLength).toBe(LIMIT);
    const ok = await c.putManifest(name, "four-mib", exact, MT.ociManifest);
    await expectStatus(ok.res, 201);
    const get = await c.fetch(mpath(name, "four-mib"));
    expect((await expectStatus(get, 200)).byteLength).toBe(LIMIT);

    const over = sized(LIMIT + 1);
    const tooBig = await c.putManifest(name, "too-big", over, MT.ociManifest);
    await expectError(tooBig.res, 413, "SIZE_INVALID");
    await expectError(await c.fetch(mpath(name, "too-big")), 404, "MANIFEST_UNKNOWN");
  });

  test("an oversized manifest streamed without Content-Length is also 413", async () => {
    const name = repoName();
    const chunk = new Uint8Array(1024 * 1024).fill(0x20);
    const body = new ReadableStream<Uint8Array>({
      start(controller) {
        for (let i = 0; i < 5; i++) controller.enqueue(chunk);
        controller.close();
      },
    });
    const res = await c.fetch(mpath(name, "streamed"), { method: "PUT", headers: { "Content-Type": MT.ociManifest }, body });
    await expectError(res, 413, "SIZE_INVALID");
  });
});

describe("names and references", () => {
  test("TAG_INVALID for tags outside [A-Za-z0-9_][A-Za-z0-9._-]{0,127}", async () => {
    const name = repoName();
    const image = await c.makeImage(name);
    for (const tag of ["-leading-dash", ".leading-dot", "a".repeat(129), "t%20space", "t%2Fslash", "t!", "%C3%A9"]) {
      await expectError((await c.putManifest(name, tag, image.bytes, MT.ociManifest)).res, 400, "TAG_INVALID");
      // What cannot be a tag or digest names no manifest: the spec's answer is 404 MANIFEST_UNKNOWN.
      await expectError(await c.fetch(mpath(name, tag)), 404, "MANIFEST_UNKNOWN");
      const head = await rawRequest(server.url, "HEAD", mpath(name, tag));
      expect(head.status).toBe(404);
      expect(head.body).toBe("");
    }
    // The edges of the grammar are fine.
    for (const tag of ["_", "A", "a".repeat(128), "v1.0-rc_1", "UPPER"]) {
      await expectStatus((await c.putManifest(name, tag, image.bytes, MT.ociManifest)).res, 201);
      await expectManifest(name, tag, image);
    }
  });

  test("NAME_INVALID for names outside the grammar", async () => {
    const image = await c.makeImage(repoName());
    const bad = ["Upper/case", "a%2Fb", "a/-b", "a/b-", "a//b", "a/.b", "a/b_", "a___b", "a".repeat(256), `${"a".repeat(120)}/${"b".repeat(135)}`];
    for (const name of bad) {
      await expectError((await c.putManifest(name, "latest", image.bytes, MT.ociManifest)).res, 400, "NAME_INVALID");
      await expectError(await c.fetch(mpath(name, "latest")), 400, "NAME_INVALID");
    }
    await expectError(await c.fetch(`/v2/Upper/blobs/uploads/`, { method: "POST" }), 400, "NAME_INVALID");
    await expectError(await c.fetch(`/v2/a%2Fb/tags/list`), 400, "NAME_INVALID");
  });

  test("a name of exactly 255 characters with several components works", async () => {
    const name = `${"a".repeat(100)}/${"b".repeat(100)}/${"c".repeat(53)}`;
    expect(name.length).toBe(255);
    const image = await c.pushImage(name, "latest");
    await expectManifest(name, "latest", image);
  });

  test("names with __, runs of dashes and dots are valid", async () => {
    const name = `x${crypto.randomUUID().slice(0, 4)}/a__b/c---d/e.f_g`;
    const image = await c.pushImage(name, "latest");
    await expectManifest(name, "latest", image);
  });

  test("dot segments are resolved by the HTTP layer before routing, never stored in a name", async () => {
    // Berth cannot see `a/../b` as such: the server normalises the path (RFC 3986) to `b`.
    const target = `dots${crypto.randomUUID().slice(0, 6)}`;
    const image = await c.pushImage(target, "latest");
    const raw = await rawRequest(server.url, "GET", `/v2/zzz/../${target}/manifests/latest`);
    expect(raw.status).toBe(200);
    expect(raw.headers.get("docker-content-digest")).toBe(image.digest);
    const rawUnknown = await rawRequest(server.url, "GET", `/v2/${target}/../nothing-here/manifests/latest`);
    expect(rawUnknown.status).toBe(404);
    expect(JSON.parse(rawUnknown.body).errors[0].code).toBe("NAME_UNKNOWN");
    const catalog = (await (await c.fetch("/v2/_catalog")).json()) as { repositories: string[] };
    expect(catalog.repositories.some((r) => r.includes(".."))).toBe(false);
  });

  test("NAME_UNKNOWN for a repository nobody pushed to", async () => {
    const name = repoName("ghost");
    await expectError(await c.fetch(mpath(name, "latest")), 404, "NAME_UNKNOWN");
    await expectError(await c.fetch(mpath(name, randomDigest())), 404, "NAME_UNKNOWN");
    await expectError(await c.fetch(mpath(name, "latest"), { method: "DELETE" }), 404, "NAME_UNKNOWN");
    const head = await c.fetch(mpath(name, "latest"), { method: "HEAD" });
    expect(head.status).toBe(404);
    expectApiVersion(head);
  });

  test("MANIFEST_UNKNOWN for an unknown tag or digest in a known repository", async () => {
    const name = repoName();
    await c.pushImage(name, "exists");
    await expectError(await c.fetch(mpath(name, "missing")), 404, "MANIFEST_UNKNOWN");
    await expectError(await c.fetch(mpath(name, randomDigest())), 404, "MANIFEST_UNKNOWN");
    await expectError(await c.fetch(mpath(name, randomDigest("sha512"))), 404, "MANIFEST_UNKNOWN");
  });

  test("a manifest is only visible in the repository it was pushed to", async () => {
    const a = repoName();
    const b = repoName();
    const image = await c.pushImage(a, "latest");
    await c.pushImage(b, "latest");
    await expectError(await c.fetch(mpath(b, image.digest)), 404, "MANIFEST_UNKNOWN");
  });

  test("a malformed digest reference: GET and HEAD 404 MANIFEST_UNKNOWN, PUT 400 DIGEST_INVALID", async () => {
    const name = repoName();
    const image = await c.pushImage(name, "x");
    for (const ref of ["sha256:123", "md5:abc", "sha256:" + "A".repeat(64)]) {
      await expectError(await c.fetch(mpath(name, ref)), 404, "MANIFEST_UNKNOWN");
      expect((await c.fetch(mpath(name, ref), { method: "HEAD" })).status).toBe(404);
    }
    const { res } = await c.putManifest(name, "sha256:123", image.bytes, MT.ociManifest);
    await expectError(res, 400, "DIGEST_INVALID");
  });

  test("a single-component name is the library/ repository", async () => {
    const single = `lib${crypto.randomUUID().slice(0, 6)}`;
    const image = await c.pushImage(single, "1.0");
    await expectManifest(`library/${single}`, "1.0", image);
    const res = await c.putManifest(single, "2.0", image.bytes, MT.ociManifest);
    expect(res.res.headers.get("location")).toBe(`${server.url}/v2/${single}/manifests/${image.digest}`);
  });
});

describe("DELETE manifest", () => {
  test("by tag: 202, the tag ends, the manifest stays by digest and under other tags", async () => {
    const name = repoName();
    const image = await c.pushImage(name, "keep");
    await c.pushManifest(name, "drop", image.bytes, MT.ociManifest);
    const del = await c.fetch(mpath(name, "drop"), { method: "DELETE" });
    await expectStatus(del, 202);
    await expectError(await c.fetch(mpath(name, "drop")), 404, "MANIFEST_UNKNOWN");
    await expectManifest(name, image.digest, image);
    await expectManifest(name, "keep", image);
    const tags = (await (await c.fetch(`/v2/${name}/tags/list`)).json()) as { tags: string[] };
    expect(tags.tags).toEqual(["keep"]);
    await expectError(await c.fetch(mpath(name, "drop"), { method: "DELETE" }), 404, "MANIFEST_UNKNOWN");
  });

  test("a deleted tag can be pushed again", async () => {
    const name = repoName();
    const first = await c.pushImage(name, "t");
    await expectStatus(await c.fetch(mpath(name, "t"), { method: "DELETE" }), 202);
    const second = await c.pushImage(name, "t");
    await expectManifest(name, "t", second);
    await expectManifest(name, first.digest, first);
  });

  test("by digest: 202, the manifest and every tag on it are gone", async () => {
    const name = repoName();
    const image = await c.pushImage(name, "a");
    await c.pushManifest(name, "b", image.bytes, MT.ociManifest);
    const other = await c.pushImage(name, "c");
    await expectStatus(await c.fetch(mpath(name, image.digest), { method: "DELETE" }), 202);
    await expectError(await c.fetch(mpath(name, image.digest)), 404, "MANIFEST_UNKNOWN");
    await expectError(await c.fetch(mpath(name, "a")), 404, "MANIFEST_UNKNOWN");
    await expectError(await c.fetch(mpath(name, "b")), 404, "MANIFEST_UNKNOWN");
    await expectManifest(name, "c", other);
    const tags = (await (await c.fetch(`/v2/${name}/tags/list`)).json()) as { tags: string[] };
    expect(tags.tags).toEqual(["c"]);
    await expectError(await c.fetch(mpath(name, image.digest), { method: "DELETE" }), 404, "MANIFEST_UNKNOWN");
    // Its blobs are only unlinked by garbage collection, not by the manifest delete.
    await expectStatus(await c.fetch(`/v2/${name}/blobs/${image.layers[0]!.digest}`), 200);
    // And it can be pushed again.
    await c.pushManifest(name, "a", image.bytes, MT.ociManifest);
    await expectManifest(name, "a", image);
  });

  test("an invalid tag or digest is refused", async () => {
    const name = repoName();
    await c.pushImage(name, "x");
    await expectError(await c.fetch(mpath(name, "-bad"), { method: "DELETE" }), 400, "TAG_INVALID");
    await expectError(await c.fetch(mpath(name, "sha256:bad"), { method: "DELETE" }), 400, "DIGEST_INVALID");
  });
});
