import { describe, expect, test } from "bun:test";
import { parseManifest } from "../../../src/oci/manifest.ts";
import {
  DOCKER_MANIFEST,
  DOCKER_MANIFEST_LIST,
  DOCKER_SCHEMA1_MANIFEST,
  DOCKER_SCHEMA1_SIGNED_MANIFEST,
  OCI_EMPTY,
  OCI_INDEX,
  OCI_MANIFEST,
} from "../../../src/oci/mediaTypes.ts";

const hex = (c: string) => c.repeat(64);
const d = (c: string) => `sha256:${hex(c)}`;
const CONFIG = { mediaType: "application/vnd.oci.image.config.v1+json", digest: d("a"), size: 7023 };
const LAYER = { mediaType: "application/vnd.oci.image.layer.v1.tar+gzip", digest: d("b"), size: 32654 };
const LAYER2 = { mediaType: "application/vnd.oci.image.layer.v1.tar+gzip", digest: d("c"), size: 0 };
const DCONFIG = { mediaType: "application/vnd.docker.container.image.v1+json", digest: d("a"), size: 1 };
const DLAYER = { mediaType: "application/vnd.docker.image.rootfs.diff.tar.gzip", digest: d("b"), size: 2 };
const CHILD = { mediaType: OCI_MANIFEST, digest: d("d"), size: 100, platform: { architecture: "amd64", os: "linux" } };
const SUBJECT = { mediaType: OCI_MANIFEST, digest: d("e"), size: 50 };
const EMPTY = { mediaType: OCI_EMPTY, digest: "sha256:44136fa355b3678a1146ad16f7e8649e94fb4fc21fe77e8310c060f61caaff8a", size: 2 };

const ociImage = (extra: object = {}) => ({ schemaVersion: 2, mediaType: OCI_MANIFEST, config: CONFIG, layers: [LAYER], ...extra });
const ociIndex = (extra: object = {}) => ({ schemaVersion: 2, mediaType: OCI_INDEX, manifests: [CHILD], ...extra });
const dockerImage = (extra: object = {}) => ({ schemaVersion: 2, mediaType: DOCKER_MANIFEST, config: DCONFIG, layers: [DLAYER], ...extra });
const dockerList = (extra: object = {}) => ({
  schemaVersion: 2,
  mediaType: DOCKER_MANIFEST_LIST,
  manifests: [{ ...CHILD, mediaType: DOCKER_MANIFEST }],
  ...extra,
});
const without = (o: Record<string, unknown>, key: string) => {
  const { [key]: _, ...rest } = o;
  return rest;
};
const bytes = (v: unknown) => new TextEncoder().encode(typeof v === "string" ? v : JSON.stringify(v));

describe("parseManifest accepts", () => {
  test.each<[string, unknown, string | null, object]>([
    ["OCI image", ociImage(), OCI_MANIFEST, { mediaType: OCI_MANIFEST, kind: "image", blobs: [CONFIG, LAYER], children: [], artifactType: CONFIG.mediaType }],
    ["OCI image, Content-Type with params", ociImage(), `${OCI_MANIFEST}; charset=utf-8`, { mediaType: OCI_MANIFEST }],
    ["OCI image, no Content-Type", ociImage(), null, { mediaType: OCI_MANIFEST }],
    ["unknown field nested 64 deep (the bound)", ociImage({ x: JSON.parse(`${"[".repeat(63)}${"]".repeat(63)}`) }), null, { kind: "image" }],
    ["OCI image, application/json", ociImage(), "application/json", { mediaType: OCI_MANIFEST }],
    ["OCI image, no mediaType field, Content-Type says", without(ociImage(), "mediaType"), OCI_MANIFEST, { mediaType: OCI_MANIFEST }],
    ["OCI image detected from shape", without(ociImage(), "mediaType"), null, { mediaType: OCI_MANIFEST, kind: "image" }],
    ["OCI image, several layers", ociImage({ layers: [LAYER, LAYER2] }), null, { blobs: [CONFIG, LAYER, LAYER2] }],
    ["OCI artifact with empty layers", ociImage({ artifactType: "application/vnd.example.sbom", config: EMPTY, layers: [] }), null, {
      artifactType: "application/vnd.example.sbom",
      blobs: [EMPTY],
    }],
    ["OCI artifact, empty config, no artifactType falls back to config type", ociImage({ config: EMPTY, layers: [EMPTY] }), null, { artifactType: OCI_EMPTY }],
    ["OCI image with subject", ociImage({ subject: SUBJECT }), null, { subject: SUBJECT }],
    ["OCI image with annotations", ociImage({ annotations: { "org.opencontainers.image.created": "2024-01-01T00:00:00Z" } }), null, {
      annotations: { "org.opencontainers.image.created": "2024-01-01T00:00:00Z" },
    }],
    ["OCI layer with urls, annotations, data", ociImage({ layers: [{ ...LAYER, urls: ["https://x/y"], annotations: { a: "b" }, data: "e30=" }] }), null, {
      blobs: [CONFIG, { ...LAYER, urls: ["https://x/y"], annotations: { a: "b" }, data: "e30=" }],
    }],
    ["sha512 layer digest", ociImage({ layers: [{ ...LAYER, digest: `sha512:${"f".repeat(128)}` }] }), null, { kind: "image" }],
    ["unknown fields are ignored", ociImage({ future: { x: 1 } }), null, { kind: "image" }],
    ["OCI index", ociIndex(), OCI_INDEX, { mediaType: OCI_INDEX, kind: "index", blobs: [], children: [CHILD] }],
    ["OCI index detected from shape", without(ociIndex(), "mediaType"), null, { mediaType: OCI_INDEX, kind: "index" }],
    ["empty OCI index", ociIndex({ manifests: [] }), null, { children: [] }],
    ["OCI index with artifactType and subject", ociIndex({ artifactType: "application/vnd.example", subject: SUBJECT }), null, {
      artifactType: "application/vnd.example",
      subject: SUBJECT,
    }],
    ["OCI index child of unknown media type", ociIndex({ manifests: [{ ...CHILD, mediaType: "application/vnd.example.thing" }] }), null, { kind: "index" }],
    ["Docker schema 2", dockerImage(), DOCKER_MANIFEST, { mediaType: DOCKER_MANIFEST, kind: "image", blobs: [DCONFIG, DLAYER], artifactType: DCONFIG.mediaType }],
    ["Docker schema 2, no Content-Type", dockerImage(), null, { mediaType: DOCKER_MANIFEST }],
    ["Docker manifest list", dockerList(), DOCKER_MANIFEST_LIST, { mediaType: DOCKER_MANIFEST_LIST, kind: "index", blobs: [] }],
    ["media type compared case-insensitively", ociImage(), OCI_MANIFEST.toUpperCase(), { mediaType: OCI_MANIFEST }],
  ])("%s", (_label, doc, contentType, want) => {
    const r = parseManifest(bytes(doc), contentType);
    if (!r.ok) throw new Error(r.message);
    expect(r.manifest).toMatchObject(want);
  });

  test("images have no children and indexes have no blobs; no index artifactType fallback", () => {
    const img = parseManifest(bytes(ociImage()), null);
    const idx = parseManifest(bytes(ociIndex()), null);
    expect(img.ok && img.manifest.children).toEqual([]);
    expect(idx.ok && idx.manifest.blobs).toEqual([]);
    expect(idx.ok && "artifactType" in idx.manifest).toBe(false);
    expect(idx.ok && "subject" in idx.manifest).toBe(false);
  });

  test("Docker schemas have no subject/artifactType: those fields are ignored", () => {
    const r = parseManifest(bytes(dockerImage({ subject: SUBJECT, artifactType: "x/y" })), null);
    expect(r.ok && r.manifest.subject).toBeUndefined();
    expect(r.ok && r.manifest.artifactType).toBe(DCONFIG.mediaType);
  });
});

describe("parseManifest rejects as MANIFEST_INVALID", () => {
  test.each<[string, unknown, string | null, string]>([
    ["not JSON", "{not json", null, "manifest is not valid JSON"],
    ["empty body", "", null, "manifest is not valid JSON"],
    ["JSON array", [], null, "manifest is not valid JSON"],
    ["JSON string", '"x"', null, "manifest is not valid JSON"],
    ["JSON null", "null", null, "manifest is not valid JSON"],
    ["schemaVersion 1", { schemaVersion: 1, name: "x", tag: "y", fsLayers: [] }, null, "Docker schema 1 manifests are not supported; push schema 2 or OCI"],
    ["schema1 Content-Type", ociImage(), DOCKER_SCHEMA1_SIGNED_MANIFEST, "Docker schema 1"],
    ["schema1 mediaType", { schemaVersion: 2, mediaType: DOCKER_SCHEMA1_MANIFEST }, null, "Docker schema 1"],
    ["schemaVersion missing", without(ociImage(), "schemaVersion"), null, "schemaVersion must be 2"],
    ["schemaVersion 3", ociImage({ schemaVersion: 3 }), null, "schemaVersion must be 2"],
    ["schemaVersion \"2\"", ociImage({ schemaVersion: "2" }), null, "schemaVersion must be 2"],
    ["mediaType not a string", ociImage({ mediaType: 5 }), null, "mediaType must be a string"],
    ["body and Content-Type differ", ociImage(), DOCKER_MANIFEST, `manifest mediaType "${OCI_MANIFEST}" does not match Content-Type "${DOCKER_MANIFEST}"`],
    ["index body, manifest Content-Type", ociIndex(), OCI_MANIFEST, "does not match Content-Type"],
    ["body type, unrelated Content-Type", ociImage(), "text/plain", 'does not match Content-Type "text/plain"'],
    ["unknown body mediaType", ociImage({ mediaType: "application/vnd.example+json" }), null, 'unsupported manifest media type "application/vnd.example+json"'],
    ["OCI artifact manifest (dropped from 1.1)", ociImage({ mediaType: "application/vnd.oci.artifact.manifest.v1+json" }), null, "unsupported manifest media type"],
    ["unknown Content-Type, no body type", without(ociImage(), "mediaType"), "application/octet-stream", "unsupported manifest media type"],
    ["shape unknown", { schemaVersion: 2 }, null, "cannot tell the manifest media type"],
    ["Docker schema 2 without mediaType field", without(dockerImage(), "mediaType"), DOCKER_MANIFEST, "must include the mediaType field"],
    ["Docker list without mediaType field", without(dockerList(), "mediaType"), DOCKER_MANIFEST_LIST, "must include the mediaType field"],
    ["missing config", without(ociImage(), "config"), null, "config is required"],
    ["missing config (typed)", without(ociImage(), "config"), OCI_MANIFEST, "config is required"],
    ["config not an object", ociImage({ config: "x" }), null, "config must be a descriptor object"],
    ["config without mediaType", ociImage({ config: without(CONFIG, "mediaType") }), null, "config.mediaType is required"],
    ["config bad mediaType", ociImage({ config: { ...CONFIG, mediaType: "json" } }), null, "config.mediaType must be a media type"],
    ["config empty mediaType", ociImage({ config: { ...CONFIG, mediaType: "" } }), null, "config.mediaType must be a media type"],
    ["config digest missing", ociImage({ config: without(CONFIG, "digest") }), null, "config.digest must be a digest string"],
    ["config size missing", ociImage({ config: without(CONFIG, "size") }), null, "config.size must be a non-negative integer"],
    ["missing layers", without(ociImage(), "layers"), null, "layers is required"],
    ["layers not an array", ociImage({ layers: LAYER }), null, "layers must be an array of descriptors"],
    ["layer size -1", ociImage({ layers: [LAYER, { ...LAYER, size: -1 }] }), null, "layers[1].size must be a non-negative integer"],
    ["layer size 1.5", ociImage({ layers: [{ ...LAYER, size: 1.5 }] }), null, "layers[0].size must be a non-negative integer"],
    ["layer size \"3\"", ociImage({ layers: [{ ...LAYER, size: "3" }] }), null, "layers[0].size must be a non-negative integer"],
    ["layer size 2^53", ociImage({ layers: [{ ...LAYER, size: 2 ** 53 }] }), null, "layers[0].size"],
    ["layer size null", ociImage({ layers: [{ ...LAYER, size: null }] }), null, "layers[0].size"],
    ["layer uppercase digest", ociImage({ layers: [LAYER, LAYER, { ...LAYER, digest: d("A") }] }), null, "layers[2].digest: invalid digest"],
    ["layer short digest", ociImage({ layers: [{ ...LAYER, digest: "sha256:abc" }] }), null, "layers[0].digest: invalid digest"],
    ["layer md5 digest (UNSUPPORTED becomes MANIFEST_INVALID)", ociImage({ layers: [{ ...LAYER, digest: "md5:abc" }] }), null, 'layers[0].digest: digest algorithm "md5" is not supported'],
    ["layer digest not a string", ociImage({ layers: [{ ...LAYER, digest: 1 }] }), null, "layers[0].digest must be a digest string"],
    ["layer null", ociImage({ layers: [null] }), null, "layers[0] must be a descriptor object"],
    ["layer urls not strings", ociImage({ layers: [{ ...LAYER, urls: [1] }] }), null, "layers[0].urls must be an array of strings"],
    ["layer annotations not strings", ociImage({ layers: [{ ...LAYER, annotations: { a: 1 } }] }), null, "layers[0].annotations must be an object"],
    ["layer data not a string", ociImage({ layers: [{ ...LAYER, data: 1 }] }), null, "layers[0].data must be a base64 string"],
    ["layer artifactType invalid", ociImage({ layers: [{ ...LAYER, artifactType: "nope" }] }), null, "layers[0].artifactType must be a media type"],
    ["image with manifests field", ociImage({ manifests: [] }), null, "must not have a manifests field"],
    ["artifactType not a string", ociImage({ artifactType: 7 }), null, "artifactType must be a media type"],
    ["artifactType not a media type", ociImage({ artifactType: "sbom" }), null, "artifactType must be a media type"],
    ["subject not an object", ociImage({ subject: d("e") }), null, "subject must be a descriptor object"],
    ["subject bad digest", ociImage({ subject: { ...SUBJECT, digest: "sha256:xyz" } }), null, "subject.digest: invalid digest"],
    ["subject missing size", ociImage({ subject: without(SUBJECT, "size") }), null, "subject.size"],
    ["annotations not strings", ociImage({ annotations: { a: true } }), null, "annotations must be an object whose values are all strings"],
    ["annotations array", ociImage({ annotations: ["a"] }), null, "annotations must be an object"],
    ["index missing manifests", without(ociIndex(), "manifests"), OCI_INDEX, "manifests is required"],
    ["index manifests not an array", ociIndex({ manifests: {} }), null, "manifests must be an array of descriptors"],
    ["index child with bad digest", ociIndex({ manifests: [CHILD, { ...CHILD, digest: "sha256:" + "0".repeat(63) }] }), null, "manifests[1].digest: invalid digest"],
    ["index child with negative size", ociIndex({ manifests: [{ ...CHILD, size: -5 }] }), null, "manifests[0].size"],
    ["index child platform not an object", ociIndex({ manifests: [{ ...CHILD, platform: "linux/amd64" }] }), null, "manifests[0].platform must be an object"],
    ["index with config", ociIndex({ config: CONFIG }), null, "must not have config or layers"],
    ["index with layers", ociIndex({ layers: [] }), null, "must not have config or layers"],
    ["index subject invalid", ociIndex({ subject: { ...SUBJECT, mediaType: 3 } }), null, "subject.mediaType must be a media type"],
    ["index artifactType invalid", ociIndex({ artifactType: "" }), null, "artifactType must be a media type"],
    ["Docker list child with bad digest", dockerList({ manifests: [{ ...CHILD, digest: "sha256:zz" }] }), null, "manifests[0].digest"],
    ["Docker schema 2 layer size 1.5", dockerImage({ layers: [{ ...DLAYER, size: 1.5 }] }), null, "layers[0].size"],
    ["Docker schema 2 missing config", without(dockerImage(), "config"), null, "config is required"],
    // Found by the property tests: a platform nested 200,000 deep was kept, and serialising it overflowed the stack.
    ["platform nested 200,000 deep", `{"schemaVersion":2,"mediaType":"${OCI_INDEX}","manifests":[{"mediaType":"${OCI_MANIFEST}","digest":"${d("d")}","size":1,"platform":{"x":${"[".repeat(200_000)}${"]".repeat(200_000)}}}]}`, null, "manifest nests deeper than 64 levels"],
    ["unknown field nested 65 deep", ociImage({ x: JSON.parse(`${"[".repeat(64)}${"]".repeat(64)}`) }), null, "manifest nests deeper than 64 levels"],
  ])("%s", (_label, doc, contentType, message) => {
    const r = parseManifest(bytes(doc), contentType);
    expect(r.ok).toBe(false);
    if (!r.ok) {
      expect(r.code).toBe("MANIFEST_INVALID");
      expect(r.message).toContain(message);
    }
  });

  test("invalid UTF-8 is not valid JSON", () => {
    const body = new Uint8Array([0x7b, 0x22, 0xff, 0x22, 0x3a, 0x31, 0x7d]); // {"\xff":1}
    expect(parseManifest(body, null)).toEqual({ ok: false, code: "MANIFEST_INVALID", message: "manifest is not valid JSON" });
  });

  test("a UTF-8 BOM is tolerated", () => {
    const json = bytes(ociImage());
    const withBom = new Uint8Array([0xef, 0xbb, 0xbf, ...json]);
    expect(parseManifest(withBom, null).ok).toBe(true);
  });
});
