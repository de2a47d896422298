import { describe, expect, test } from "bun:test";
import { isValidRepoName, isValidTag, REPO_NAME_MAX } from "../../../src/oci/name.ts";

describe("isValidRepoName", () => {
  test.each([
    ["library/ubuntu", true],
    ["ubuntu", true],
    ["a", true],
    ["0", true],
    ["a/b/c/d/e", true],
    ["my-app", true],
    ["my--app", true],
    ["my---app", true],
    ["my.app", true],
    ["my_app", true],
    ["my__app", true],
    ["org/blobs/manifests", true],
    ["a1.b2_c3__d4-e5", true],
    ["a".repeat(REPO_NAME_MAX), true],
    ["a/".repeat(127) + "a", true], // 255 chars
    ["a".repeat(REPO_NAME_MAX + 1), false],
    ["a/".repeat(128) + "a", false], // 257 chars
    ["", false],
    ["Library/ubuntu", false],
    ["UPPER", false],
    ["my___app", false],
    ["my..app", false],
    ["my._app", false],
    ["my_-app", false],
    ["-app", false],
    ["app-", false],
    [".app", false],
    ["app.", false],
    ["_app", false],
    ["/app", false],
    ["app/", false],
    ["a//b", false],
    ["a/../b", false],
    ["a/./b", false],
    ["..", false],
    ["a%2Fb", false],
    ["a%2fb", false],
    ["a b", false],
    ["a:b", false],
    ["a@b", false],
    ["a\nb", false],
    ["ü", false],
  ])("%j → %p", (name, ok) => {
    expect(isValidRepoName(name)).toBe(ok);
  });

  test("hostile long input is fast", () => {
    const t0 = performance.now();
    expect(isValidRepoName("a-".repeat(100_000) + "!")).toBe(false);
    expect(isValidRepoName("a-".repeat(127) + "!")).toBe(false);
    expect(performance.now() - t0).toBeLessThan(100);
  });
});

describe("isValidTag", () => {
  test.each([
    ["latest", true],
    ["v1.2.3", true],
    ["1.0", true],
    ["_private", true],
    ["A", true],
    ["a-b_c.D", true],
    ["x".repeat(128), true],
    ["x".repeat(129), false],
    ["_" + "x".repeat(127), true],
    ["", false],
    [".hidden", false],
    ["-flag", false],
    ["a/b", false],
    ["a:b", false],
    ["a+b", false],
    ["a b", false],
    ["sha256:abc", false],
    ["tag\n", false],
    ["é", false],
  ])("%j → %p", (tag, ok) => {
    expect(isValidTag(tag)).toBe(ok);
  });
});
