import { describe, expect, test } from "bun:test";
import { parseV2Path, type V2Route } from "../../../src/oci/v2Path.ts";

const D = "sha256:e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855";
const UUID = "0f9c3b9e-3c1e-4a59-9d47-6f6e7a1c2b3d";

describe("parseV2Path recognises", () => {
  test.each<[string, V2Route]>([
    ["ubuntu/manifests/latest", { kind: "manifest", repo: "ubuntu", reference: "latest" }],
    ["library/ubuntu/manifests/22.04", { kind: "manifest", repo: "library/ubuntu", reference: "22.04" }],
    [`a/b/c/manifests/${D}`, { kind: "manifest", repo: "a/b/c", reference: D }],
    [`ubuntu/blobs/${D}`, { kind: "blob", repo: "ubuntu", digest: D }],
    ["ubuntu/blobs/uploads", { kind: "uploadStart", repo: "ubuntu" }],
    ["ubuntu/blobs/uploads/", { kind: "uploadStart", repo: "ubuntu" }],
    [`ubuntu/blobs/uploads/${UUID}`, { kind: "upload", repo: "ubuntu", uuid: UUID }],
    [`ubuntu/blobs/uploads/${UUID}/`, { kind: "upload", repo: "ubuntu", uuid: UUID }],
    ["ubuntu/tags/list", { kind: "tags", repo: "ubuntu" }],
    [`ubuntu/referrers/${D}`, { kind: "referrers", repo: "ubuntu", digest: D }],
    // Names containing endpoint words: the suffix decides.
    ["blobs/manifests/latest", { kind: "manifest", repo: "blobs", reference: "latest" }],
    ["manifests/manifests/manifests", { kind: "manifest", repo: "manifests", reference: "manifests" }],
    ["org/blobs/uploads/tags/list", { kind: "tags", repo: "org/blobs/uploads" }],
    ["org/manifests/x/blobs/uploads", { kind: "uploadStart", repo: "org/manifests/x" }],
    [`org/blobs/blobs/${D}`, { kind: "blob", repo: "org/blobs", digest: D }],
    ["org/blobs/blobs/uploads", { kind: "uploadStart", repo: "org/blobs" }],
    ["org/blobs/uploads/uploads", { kind: "upload", repo: "org", uuid: "uploads" }],
    ["org/tags/manifests/list", { kind: "manifest", repo: "org/tags", reference: "list" }],
    ["org/referrers/tags/list", { kind: "tags", repo: "org/referrers" }],
    // The route validates references and digests, not the path parser.
    ["ubuntu/manifests/NOT..a..tag!", { kind: "manifest", repo: "ubuntu", reference: "NOT..a..tag!" }],
    ["ubuntu/blobs/not-a-digest", { kind: "blob", repo: "ubuntu", digest: "not-a-digest" }],
    // A percent-encoded ":" in the last segment is decoded; an encoded "/" is not.
    [`ubuntu/manifests/${D.replace(":", "%3A")}`, { kind: "manifest", repo: "ubuntu", reference: D }],
    [`ubuntu/blobs/${D.replace(":", "%3a")}`, { kind: "blob", repo: "ubuntu", digest: D }],
    ["ubuntu/manifests/a%2Fb", { kind: "manifest", repo: "ubuntu", reference: "a%2Fb" }],
    ["ubuntu/manifests/%E0%A4%A", { kind: "manifest", repo: "ubuntu", reference: "%E0%A4%A" }],
    ["ubuntu/tags/list?n=10&last=a", { kind: "tags", repo: "ubuntu" }],
  ])("%s", (rest, route) => {
    expect(parseV2Path(rest)).toEqual({ ok: true, route });
  });
});

describe("parseV2Path: NAME_INVALID when the shape matches but the name does not", () => {
  test.each([
    ["Ubuntu/manifests/latest", "Ubuntu"],
    ["a/../b/manifests/latest", "a/../b"],
    ["../manifests/latest", ".."],
    ["a%2Fb/manifests/latest", "a%2Fb"],
    ["a%2fb/blobs/uploads/", "a%2fb"],
    ["a//b/tags/list", "a//b"],
    ["a/./b/blobs/uploads", "a/./b"],
    ["my___app/tags/list", "my___app"],
    [`${"a".repeat(256)}/tags/list`, "a".repeat(256)],
    [`/ubuntu/manifests/latest`, "/ubuntu"],
    ["ubuntu//manifests/latest", "ubuntu/"],
  ])("%s", (rest, name) => {
    const r = parseV2Path(rest);
    expect(r.ok).toBe(false);
    if (!r.ok) {
      expect(r.code).toBe("NAME_INVALID");
      expect(r.message).toContain(JSON.stringify(name.length > 80 ? name.slice(0, 80) + "…" : name));
    }
  });

  test.each(["manifests/latest", "tags/list", "blobs/uploads", "blobs/uploads/"])("empty name: %s", (rest) => {
    const r = parseV2Path(rest);
    expect(r).toMatchObject({ ok: false, code: "NAME_INVALID" });
  });

  test("a 255-character name is fine", () => {
    const name = "a".repeat(255);
    expect(parseV2Path(`${name}/tags/list`)).toEqual({ ok: true, route: { kind: "tags", repo: name } });
  });
});

describe("parseV2Path: NOT_FOUND for unknown shapes", () => {
  test.each([
    "",
    "/",
    "ubuntu",
    "ubuntu/",
    "ubuntu/manifests",
    "ubuntu/manifests/",
    "ubuntu/manifests/latest/",
    "ubuntu/manifests/latest/extra",
    "ubuntu/blobs",
    "ubuntu/blobs/",
    `ubuntu/blobs/${D}/`,
    "ubuntu/blobs/uploads//",
    "ubuntu/tags",
    "ubuntu/tags/",
    "ubuntu/tags/list/",
    "ubuntu/tags/lists",
    "ubuntu/referrers",
    "ubuntu/referrers/",
    "ubuntu/catalog",
    "_catalog",
    "ubuntu/Manifests/latest",
  ])("%j", (rest) => {
    expect(parseV2Path(rest)).toMatchObject({ ok: false, code: "NOT_FOUND" });
  });
});
