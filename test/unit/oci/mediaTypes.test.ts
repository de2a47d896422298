import { describe, expect, test } from "bun:test";
import {
  DOCKER_MANIFEST,
  DOCKER_MANIFEST_LIST,
  DOCKER_SCHEMA1_MANIFEST,
  DOCKER_SCHEMA1_SIGNED_MANIFEST,
  isIndexMediaType,
  isValidMediaType,
  MANIFEST_MEDIA_TYPES,
  negotiateManifest,
  OCI_EMPTY,
  OCI_INDEX,
  OCI_MANIFEST,
} from "../../../src/oci/mediaTypes.ts";

test("constants are the spec strings", () => {
  expect([OCI_MANIFEST, OCI_INDEX, DOCKER_MANIFEST, DOCKER_MANIFEST_LIST]).toEqual([
    "application/vnd.oci.image.manifest.v1+json",
    "application/vnd.oci.image.index.v1+json",
    "application/vnd.docker.distribution.manifest.v2+json",
    "application/vnd.docker.distribution.manifest.list.v2+json",
  ]);
  expect(DOCKER_SCHEMA1_MANIFEST).toBe("application/vnd.docker.distribution.manifest.v1+json");
  expect(DOCKER_SCHEMA1_SIGNED_MANIFEST).toBe("application/vnd.docker.distribution.manifest.v1+prettyjws");
  expect(OCI_EMPTY).toBe("application/vnd.oci.empty.v1+json");
  expect([...MANIFEST_MEDIA_TYPES].sort()).toEqual([OCI_MANIFEST, OCI_INDEX, DOCKER_MANIFEST, DOCKER_MANIFEST_LIST].sort());
});

describe("isIndexMediaType", () => {
  test.each([
    [OCI_INDEX, true],
    [DOCKER_MANIFEST_LIST, true],
    [OCI_MANIFEST, false],
    [DOCKER_MANIFEST, false],
    ["application/json", false],
    ["", false],
  ])("%s → %p", (mt, want) => expect(isIndexMediaType(mt)).toBe(want));
});

describe("isValidMediaType", () => {
  test.each([
    ["application/vnd.oci.image.layer.v1.tar+gzip", true],
    ["text/plain", true],
    ["application/vnd.example+type", true],
    ["A/B", true],
    ["application/" + "a".repeat(127), true],
    ["application/" + "a".repeat(128), false],
    ["application", false],
    ["/json", false],
    ["application/", false],
    ["application/json; charset=utf-8", false],
    ["application/-json", false],
    ["a/b/c", false],
    ["", false],
  ])("%j → %p", (mt, want) => expect(isValidMediaType(mt)).toBe(want));
});

describe("negotiateManifest", () => {
  test.each<[string, string | null, boolean]>([
    [OCI_MANIFEST, null, true],
    [OCI_MANIFEST, "", true],
    [OCI_MANIFEST, "  ", true],
    [OCI_MANIFEST, "*/*", true],
    [OCI_MANIFEST, "application/*", true],
    [OCI_MANIFEST, OCI_MANIFEST, true],
    [OCI_MANIFEST, OCI_MANIFEST.toUpperCase(), true],
    [OCI_MANIFEST, `${DOCKER_MANIFEST}, ${OCI_MANIFEST}`, true],
    [OCI_MANIFEST, `${DOCKER_MANIFEST},${OCI_MANIFEST};q=0.5`, true],
    [OCI_MANIFEST, `${DOCKER_MANIFEST};q=0.9, */*;q=0.1`, true],
    [OCI_MANIFEST, "application/json", true],
    [OCI_MANIFEST, `${DOCKER_MANIFEST}, application/json`, true],
    [OCI_MANIFEST, "text/html, application/xhtml+xml", true],
    [OCI_INDEX, `${OCI_MANIFEST}, ${DOCKER_MANIFEST}, ${DOCKER_MANIFEST_LIST}, ${OCI_INDEX}`, true],
    [DOCKER_MANIFEST_LIST, `${DOCKER_MANIFEST_LIST}; q=1`, true],
    // Refused: only manifest types listed, none of them the stored one.
    [OCI_MANIFEST, DOCKER_MANIFEST, false],
    [OCI_INDEX, `${OCI_MANIFEST}, ${DOCKER_MANIFEST}`, false],
    [DOCKER_MANIFEST_LIST, `${DOCKER_MANIFEST};q=0.9, ${OCI_MANIFEST}`, false],
    [DOCKER_MANIFEST, `${DOCKER_SCHEMA1_SIGNED_MANIFEST}`, false],
    [DOCKER_MANIFEST, `${DOCKER_SCHEMA1_MANIFEST}, ${DOCKER_SCHEMA1_SIGNED_MANIFEST}`, false],
    [OCI_INDEX, ` ${OCI_MANIFEST} , `, false],
  ])("%s with Accept %j → %p", (stored, accept, want) => {
    expect(negotiateManifest(stored, accept)).toBe(want);
  });
});
