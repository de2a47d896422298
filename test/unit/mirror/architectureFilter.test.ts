// Quay's architecture_filter as tables: which filters are valid, which platforms of an index are copied.
import { expect, test } from "bun:test";
import { invalidArchitectures, platformsToCopy } from "../../../src/mirror/architectureFilter";
import type { Descriptor } from "../../../src/oci";

test.each<[string, string[] | null, string | undefined]>([
  ["null: every architecture", null, undefined],
  ["empty: every architecture", [], undefined],
  ["Quay's four", ["amd64", "arm64", "ppc64le", "s390x"], undefined],
  ["unknown ones named, sorted, once", ["riscv64", "amd64", "386", "riscv64"], "Invalid architectures: 386, riscv64"],
  ["case matters (Quay's set)", ["AMD64"], "Invalid architectures: AMD64"],
])("validation: %s", (_name, filter, message) => {
  expect(invalidArchitectures(filter)).toBe(message);
});

const entry = (digest: string, architecture?: string): Descriptor => ({
  mediaType: "application/vnd.oci.image.manifest.v1+json",
  digest,
  size: 100,
  ...(architecture ? { platform: { architecture, os: "linux" } } : {}),
});
const index = [entry("sha256:a", "amd64"), entry("sha256:b", "arm64"), entry("sha256:c", "unknown"), entry("sha256:d")];

test.each<[string, string[], string[] | string]>([
  ["one listed platform", ["arm64"], ["sha256:b"]],
  ["two, in the index's order", ["arm64", "amd64"], ["sha256:a", "sha256:b"]],
  ["a listed one the index lacks is left out", ["amd64", "s390x"], ["sha256:a"]],
  ["none available: Quay's failure", ["s390x"], "No matching architectures. Requested: ['s390x'], Available: ['amd64', 'arm64', 'unknown']"],
])("platforms: %s", (_name, filter, expected) => {
  const out = platformsToCopy(index, filter);
  if (typeof expected === "string") expect(out).toEqual({ error: expected });
  else expect("copy" in out && out.copy.map((d) => d.digest)).toEqual(expected);
});
