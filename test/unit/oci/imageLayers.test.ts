import { describe, expect, test } from "bun:test";
import { EMPTY_LAYER_BLOB_DIGEST, imageLayers, MAX_HISTORY_ENTRIES, outlineManifest } from "../../../src/oci";

const OCI = "application/vnd.oci.image.manifest.v1+json";
const DOCKER = "application/vnd.docker.distribution.manifest.v2+json";
const OCI_INDEX = "application/vnd.oci.image.index.v1+json";
const OCI_CONFIG = "application/vnd.oci.image.config.v1+json";
const DOCKER_CONFIG = "application/vnd.docker.container.image.v1+json";
const HELM_CONFIG = "application/vnd.cncf.helm.config.v1+json";
const d = (c: string) => `sha256:${c.repeat(64)}`;

const bytes = (v: unknown) => new TextEncoder().encode(JSON.stringify(v));
const manifest = (configMediaType: string, layers: Record<string, unknown>[]) =>
  bytes({ schemaVersion: 2, config: { mediaType: configMediaType, digest: d("c"), size: 10 }, layers });
const layer = (c: string, size: number, extra: Record<string, unknown> = {}) => ({ mediaType: "application/vnd.oci.image.layer.v1.tar+gzip", digest: d(c), size, ...extra });

describe("outlineManifest", () => {
  test("an OCI image needs its config; sizes add up", () => {
    const o = outlineManifest(manifest(OCI_CONFIG, [layer("a", 3), layer("b", 4)]), OCI);
    expect(o).toMatchObject({ isList: false, configMediaType: OCI_CONFIG, layersCompressedSize: 7, needsConfig: { digest: d("c"), size: 10 } });
  });

  test("Docker schema 2 is always an image; other OCI artifacts are not", () => {
    expect(outlineManifest(manifest(DOCKER_CONFIG, []), DOCKER).needsConfig).not.toBeNull();
    const helm = outlineManifest(manifest(HELM_CONFIG, [layer("a", 5)]), OCI);
    expect(helm).toMatchObject({ configMediaType: HELM_CONFIG, layersCompressedSize: 5, needsConfig: null });
  });

  test("indexes are lists without config or size", () => {
    expect(outlineManifest(bytes({ schemaVersion: 2, manifests: [] }), OCI_INDEX)).toEqual({
      isList: true,
      configMediaType: null,
      layersCompressedSize: 0,
      layers: [],
      needsConfig: null,
    });
  });
});

describe("imageLayers", () => {
  const outline = outlineManifest(
    manifest(OCI_CONFIG, [layer("a", 3), layer("b", 4, { mediaType: "application/vnd.oci.image.layer.nondistributable.v1.tar+gzip", urls: ["https://x/b"] })]),
    OCI,
  );

  test("one entry per history line; empty ones are the empty layer blob", () => {
    const config = bytes({
      history: [{ created_by: "ADD a" }, { created_by: "ENV x=1", empty_layer: true, created: "not a date" }, { created_by: "COPY b", author: "me" }],
    });
    const layers = imageLayers(outline, config);
    expect(layers.map((l) => [l.blobDigest, l.compressedSize, l.command, l.isRemote, l.urls, l.author, l.createdMs])).toEqual([
      [d("a"), 3, ["ADD a"], false, null, null, null],
      [EMPTY_LAYER_BLOB_DIGEST, 32, ["ENV x=1"], false, null, null, null],
      [d("b"), 4, ["COPY b"], true, ["https://x/b"], "me", null],
    ]);
  });

  test("without history (or history that does not fit the layers) the leaf is described by the config", () => {
    const config = { created: "2024-01-02T03:04:05Z", author: "me", config: { Cmd: ["sh"] } };
    for (const c of [config, { ...config, history: [{ created_by: "only one" }] }]) {
      const layers = imageLayers(outline, bytes(c));
      expect(layers.map((l) => [l.blobDigest, l.command, l.author, l.createdMs])).toEqual([
        [d("a"), null, null, null],
        [d("b"), ["sh"], "me", Date.UTC(2024, 0, 2, 3, 4, 5)],
      ]);
    }
  });

  test("an unreadable config still lists the blobs", () => {
    expect(imageLayers(outline, undefined).map((l) => l.blobDigest)).toEqual([d("a"), d("b")]);
    expect(imageLayers(outline, new TextEncoder().encode("{")).length).toBe(2);
  });

  test("commands: JSON is decoded up to a small depth; deeper values stay strings or become none", () => {
    const deep = "[".repeat(50) + "]".repeat(50);
    const cases: [unknown, unknown][] = [
      ['["sh","-c","make"]', ["sh", "-c", "make"]],
      ["make all", ["make all"]],
      ["", null],
      [[], null],
      [["sh"], ["sh"]],
      [deep, [deep]],
      [JSON.parse(deep), null],
    ];
    const single = outlineManifest(manifest(OCI_CONFIG, [layer("a", 3)]), OCI);
    for (const [createdBy, want] of cases) {
      expect(imageLayers(single, bytes({ history: [{ created_by: createdBy }] }))[0]!.command).toEqual(want);
    }
  });

  test("a history longer than the bound is not listed: the filesystem layers are", () => {
    const history = [...Array.from({ length: MAX_HISTORY_ENTRIES }, () => ({ empty_layer: true })), { created_by: "ADD a" }, { created_by: "ADD b" }];
    expect(imageLayers(outline, bytes({ history })).map((l) => l.blobDigest)).toEqual([d("a"), d("b")]);
    expect(imageLayers(outline, bytes({ history: history.slice(2) })).length).toBe(MAX_HISTORY_ENTRIES);
  });
});
