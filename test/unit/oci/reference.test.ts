import { describe, expect, test } from "bun:test";
import { parseReference } from "../../../src/oci/reference.ts";
import { parseReference as fromV2Path } from "../../../src/oci/v2Path.ts";

const H64 = "e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855";

describe("parseReference: tags", () => {
  test.each(["latest", "v1.0.0", "_x", "A".repeat(128)])("%s", (ref) => {
    expect(parseReference(ref)).toEqual({ ok: true, kind: "tag", tag: ref });
  });
});

test("parseReference: digest", () => {
  const r = parseReference(`sha256:${H64}`);
  expect(r).toEqual({
    ok: true,
    kind: "digest",
    digest: { algorithm: "sha256", hex: H64, value: `sha256:${H64}` },
  });
});

describe("parseReference: failures", () => {
  test.each([
    ["", "TAG_INVALID"],
    [".x", "TAG_INVALID"],
    ["-x", "TAG_INVALID"],
    ["A".repeat(129), "TAG_INVALID"],
    ["a b", "TAG_INVALID"],
    ["%3A", "TAG_INVALID"],
    ["a/b", "TAG_INVALID"],
    [`sha256:${H64.toUpperCase()}`, "DIGEST_INVALID"],
    ["sha256:abc", "DIGEST_INVALID"],
    ["latest:", "DIGEST_INVALID"],
    [":latest", "DIGEST_INVALID"],
    ["md5:abc", "UNSUPPORTED"],
    [`blake3:${H64}`, "UNSUPPORTED"],
  ])("%j → %s", (ref, code) => {
    const r = parseReference(ref);
    expect(r.ok).toBe(false);
    if (!r.ok) expect(r.code).toBe(code as "TAG_INVALID");
  });
});

test("v2Path re-exports parseReference", () => {
  expect(fromV2Path).toBe(parseReference);
});
