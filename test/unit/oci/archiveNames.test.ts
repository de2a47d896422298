import { describe, expect, test } from "bun:test";
import { exportRefName, importTarget, type NamingOptions } from "../../../src/oci";

const D = `sha256:${"a".repeat(64)}`;

describe("importTarget", () => {
  const cases: [string | undefined, string | undefined, NamingOptions, unknown][] = [
    ["team/app:v1", undefined, {}, { repository: "team/app", tag: "v1" }],
    ["docker.io/library/alpine:3", undefined, {}, { repository: "library/alpine", tag: "3" }],
    ["localhost:5000/team/app:v1", undefined, {}, { repository: "team/app", tag: "v1" }],
    ["localhost/app:v1", undefined, {}, { repository: "library/app", tag: "v1" }],
    ["alpine:3", undefined, {}, { repository: "library/alpine", tag: "3" }],
    ["quay.io/org/sub/app:x", undefined, { namespace: "mirror" }, { repository: "mirror/sub/app", tag: "x" }],
    ["team/app:v1", undefined, { namespace: "other" }, { repository: "other/app", tag: "v1" }],
    [`team/app@${D}`, undefined, {}, { repository: "team/app" }],
    // A bare tag: containerd's name, else --repository.
    ["v1", "docker.io/team/app:v1", {}, { repository: "team/app", tag: "v1" }],
    ["v1", undefined, { repository: "team/app" }, { repository: "team/app", tag: "v1" }],
    ["v1", undefined, { repository: "team/app", namespace: "x" }, { repository: "x/app", tag: "v1" }],
    [undefined, "docker.io/team/app:v2", {}, { repository: "team/app", tag: "v2" }],
  ];
  test.each(cases)("%j (containerd %j, %j)", (ref, full, opts, target) => {
    expect(importTarget(ref, full, opts)).toEqual({ ok: true, target: target as { repository: string } });
  });

  test.each([
    ["v1", undefined, {}, /pass --repository/],
    ["Team/App:v1", undefined, {}, /not a repository name/],
    ["team/app:bad tag", undefined, {}, /invalid tag/],
    ["team/app@sha256:xyz", undefined, {}, /invalid digest/],
    ["team/app:v1", undefined, { namespace: "Bad" }, /not a repository name/],
  ] as [string, undefined, NamingOptions, RegExp][])("%j is refused", (ref, full, opts, message) => {
    const out = importTarget(ref, full, opts);
    expect(out?.ok).toBe(false);
    expect((out as { message: string }).message).toMatch(message);
  });

  test("an entry without a name has no target (the caller's rule 4)", () => {
    expect(importTarget(undefined, undefined, { repository: "team/app" })).toBeUndefined();
  });

  test("what export writes, import reads back", () => {
    for (const ref of [{ tag: "v1" }, { digest: D }]) {
      const name = exportRefName("team/sub/app", ref);
      expect(importTarget(name, undefined, {})).toEqual({ ok: true, target: { repository: "team/sub/app", ...("tag" in ref ? { tag: "v1" } : {}) } });
    }
  });
});
