import { describe, expect, test } from "bun:test";
import { DOCKER_LAYER, DOCKER_LAYER_GZIP, dockerLayerMediaType, dockerSchema2Manifest, parseDockerArchiveManifest, parseManifest } from "../../../src/oci";

const enc = (v: unknown) => new TextEncoder().encode(typeof v === "string" ? v : JSON.stringify(v));

describe("parseDockerArchiveManifest", () => {
  test("reads config, layers and tags", () => {
    const out = parseDockerArchiveManifest(enc([{ Config: "c.json", RepoTags: ["a/b:1"], Layers: ["x/layer.tar"] }, { Config: "d.json", RepoTags: null, Layers: [] }]));
    expect(out).toEqual({
      ok: true,
      images: [
        { config: "c.json", layers: ["x/layer.tar"], repoTags: ["a/b:1"] },
        { config: "d.json", layers: [], repoTags: [] },
      ],
    });
  });
  test.each([
    ["{", /not valid JSON/],
    [{}, /not a list/],
    [[1], /not an object/],
    [[{ Layers: [] }], /Config/],
    [[{ Config: "c", Layers: [3] }], /Layers/],
    [[{ Config: "c", Layers: [], RepoTags: "x" }], /RepoTags/],
  ])("%j is refused", (body, message) => {
    const out = parseDockerArchiveManifest(enc(body));
    expect(out.ok).toBe(false);
    expect((out as { message: string }).message).toMatch(message);
  });
});

test("layer media type from the first bytes", () => {
  expect(dockerLayerMediaType(new Uint8Array([0x1f, 0x8b, 8]))).toBe(DOCKER_LAYER_GZIP);
  expect(dockerLayerMediaType(new TextEncoder().encode("file.txt"))).toBe(DOCKER_LAYER);
});

test("the schema 2 manifest is one Berth accepts, naming the config and layers", () => {
  const digest = (c: string) => `sha256:${c.repeat(64)}`;
  const bytes = dockerSchema2Manifest({ digest: digest("a"), size: 10 }, [{ mediaType: DOCKER_LAYER, digest: digest("b"), size: 20 }]);
  const parsed = parseManifest(bytes, null);
  expect(parsed.ok).toBe(true);
  if (parsed.ok) expect(parsed.manifest.blobs.map((b) => [b.digest, b.size])).toEqual([[digest("a"), 10], [digest("b"), 20]]);
});
