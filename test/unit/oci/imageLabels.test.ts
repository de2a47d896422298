import { describe, expect, test } from "bun:test";
import { configLabels, imageLabels, manifestLabelSource } from "../../../src/oci";

const OCI = "application/vnd.oci.image.manifest.v1+json";
const DOCKER = "application/vnd.docker.distribution.manifest.v2+json";
const OCI_INDEX = "application/vnd.oci.image.index.v1+json";
const DOCKER_LIST = "application/vnd.docker.distribution.manifest.list.v2+json";
const OCI_CONFIG = "application/vnd.oci.image.config.v1+json";
const DOCKER_CONFIG = "application/vnd.docker.container.image.v1+json";
const D = `sha256:${"a".repeat(64)}`;

const bytes = (v: unknown) => new TextEncoder().encode(typeof v === "string" ? v : JSON.stringify(v));
const image = (configMediaType: string, extra: Record<string, unknown> = {}) => ({
  schemaVersion: 2,
  config: { mediaType: configMediaType, digest: D, size: 123 },
  layers: [],
  ...extra,
});

describe("where a manifest's labels come from", () => {
  test.each([
    ["Docker image: the config", DOCKER, image(DOCKER_CONFIG), { kind: "config", configDigest: D, configSize: 123, annotations: {} }],
    // Docker manifests have no annotations field; one that appears anyway means nothing.
    ["Docker image ignores annotations", DOCKER, image(DOCKER_CONFIG, { annotations: { a: "b" } }), { kind: "config", configDigest: D, configSize: 123, annotations: {} }],
    ["OCI image: the config, then annotations", OCI, image(OCI_CONFIG, { annotations: { a: "b" } }), { kind: "config", configDigest: D, configSize: 123, annotations: { a: "b" } }],
    ["OCI artifact: annotations only", OCI, image("application/vnd.example+json", { annotations: { a: "b" } }), { kind: "annotations", labels: { a: "b" } }],
    ["OCI artifact without annotations", OCI, image("application/vnd.example+json"), { kind: "none" }],
    ["OCI index", OCI_INDEX, { schemaVersion: 2, manifests: [], annotations: { a: "b" } }, { kind: "none" }],
    ["Docker list", DOCKER_LIST, { schemaVersion: 2, manifests: [] }, { kind: "none" }],
    ["not JSON", OCI, "{", { kind: "none" }],
    ["config without a digest", OCI, { schemaVersion: 2, config: { mediaType: OCI_CONFIG, size: 1 }, layers: [] }, { kind: "none" }],
    ["non-string annotations are dropped", OCI, image("x/y", { annotations: { a: "b", n: 1, "": "empty key" } }), { kind: "annotations", labels: { a: "b" } }],
  ] as const)("%s", (_name, mediaType, manifest, want) => {
    expect(manifestLabelSource(bytes(manifest), mediaType)).toEqual(want as any);
  });
});

describe("labels of an image config", () => {
  test.each([
    ["config.Labels", { config: { Labels: { a: "1", b: "2" } } }, { a: "1", b: "2" }],
    ["top-level Labels when config has none", { Labels: { a: "1" } }, { a: "1" }],
    ["config.Labels wins over top-level", { config: { Labels: { a: "1" } }, Labels: { b: "2" } }, { a: "1" }],
    ["null Labels", { config: { Labels: null } }, {}],
    ["no config", { architecture: "amd64" }, {}],
    ["non-string values and empty keys dropped", { config: { Labels: { a: "1", n: 2, o: {}, "": "x" } } }, { a: "1" }],
    ["not JSON", "{", {}],
    ["JSON but not an object", "[1]", {}],
  ])("%s", (_name, config, want) => {
    expect(configLabels(bytes(config))).toEqual(want);
  });

  test("annotations win over config labels", () => {
    expect(imageLabels({ a: "config", b: "config" }, { b: "annotation" })).toEqual({ a: "config", b: "annotation" });
  });
});
