import { describe, expect, test } from "bun:test";
import {
  checkApiLabel,
  hasReservedPrefix,
  inferLabelMediaType,
  isImmutableLabelValue,
  isValidLabelKey,
  labelEffects,
  parseLabelDuration,
} from "../../../src/oci";

describe("label keys", () => {
  test.each([
    ["com.docker.compose.project", true],
    ["io.docker.x", true],
    ["org.dockerproject.x", true],
    ["org.opencontainers.image.source", true],
    ["io.cncf.x", true],
    ["io.kubernetes.x", true],
    ["io.k8s.description", true],
    ["io.quay.x", true],
    ["io.quayside", true], // Quay's prefix has no dot, so this is reserved too
    ["com.coreos.x", true],
    ["com.tectonic.x", true],
    ["internal.thing", true],
    ["quay.expires-after", true],
    ["com.example.team", false],
    ["maintainer", false],
    ["com.dockerish", false],
  ])("reserved prefix: %s → %p", (key, reserved) => {
    expect(hasReservedPrefix(key)).toBe(reserved);
  });

  test.each([
    ["a", true],
    ["a1", true],
    ["com.example.team", true],
    ["my-label", true],
    ["a.b-c.d", true],
    ["", false],
    ["A", false],
    ["Upper.case", false],
    [".leading", false],
    ["trailing.", false],
    ["-leading", false],
    ["trailing-", false],
    ["double..dot", false],
    ["dot.-dash", false],
    ["dash-.dot", false],
    ["double--dash", false],
    ["under_score", false],
    ["sp ace", false],
    ["a".repeat(255), true],
    ["a".repeat(256), false],
  ])("valid key %p → %p", (key, valid) => {
    expect(isValidLabelKey(key)).toBe(valid);
  });
});

describe("labels added over API v1", () => {
  test.each([
    ["team", "x", "text/plain", { ok: true, mediaType: "text/plain" }],
    ["team", '{"a":1}', "application/json", { ok: true, mediaType: "application/json" }],
    ["team", "[1,2]", null, { ok: true, mediaType: "application/json" }],
    ["team", "{not json}", null, { ok: true, mediaType: "text/plain" }],
    ["team", "plain", undefined, { ok: true, mediaType: "text/plain" }],
    ["team", "{oops", "application/json", { ok: false, reason: "invalidJson" }],
    ["team", "x", "text/html", { ok: false, reason: "invalidMediaType" }],
    ["Team", "x", "text/plain", { ok: false, reason: "invalidKey" }],
    ["quay.expires-after", "2w", "text/plain", { ok: false, reason: "reservedPrefix" }],
    // The reserved prefix is reported before the malformed key, as Quay checks it first.
    ["com.docker.BAD", "x", "text/plain", { ok: false, reason: "reservedPrefix" }],
  ] as const)("%s=%s (%p)", (key, value, mediaType, want) => {
    expect(checkApiLabel(key, value, mediaType)).toEqual(want as any);
  });

  test.each([
    ["{}", "application/json"],
    ["[]", "application/json"],
    ['{"a": [1, {"b": null}]}', "application/json"],
    ["{", "text/plain"],
    ["1", "text/plain"], // JSON, but Quay only guesses objects and arrays
    ['"s"', "text/plain"],
    ["true", "text/plain"],
    ["", "text/plain"],
  ])("media type guessed for %p: %s", (value, want) => {
    expect(inferLabelMediaType(value)).toBe(want as any);
  });
});

describe("quay.expires-after durations", () => {
  const s = 1000;
  test.each([
    ["10s", 10 * s],
    ["30m", 30 * 60 * s],
    ["12h", 12 * 3600 * s],
    ["1d", 86400 * s],
    ["2w", 14 * 86400 * s],
    ["007h", 7 * 3600 * s],
    ["0s", undefined],
    ["", undefined],
    ["h", undefined],
    ["5", undefined],
    ["5y", undefined],
    ["5H", undefined],
    ["-5h", undefined],
    ["+5h", undefined],
    [" 5h", undefined],
    ["5h ", undefined],
    ["1.5h", undefined],
    ["5 h", undefined],
    ["1h30m", undefined],
    ["999999999999999w", undefined], // past what a millisecond count can hold exactly
  ])("%p → %p ms", (value, want) => {
    expect(parseLabelDuration(value)).toBe(want);
  });
});

describe("quay.immutable", () => {
  test.each([
    ["true", true],
    ["TRUE", true],
    [" True ", true],
    ["false", false],
    ["yes", false],
    ["1", false],
    ["", false],
  ])("%p → %p", (value, want) => {
    expect(isImmutableLabelValue(value)).toBe(want);
  });
});

describe("what an image's labels ask of its tags", () => {
  test.each([
    ["no labels", {}, { immutable: false }],
    ["ordinary labels", { maintainer: "me" }, { immutable: false }],
    ["an expiry", { "quay.expires-after": "2h" }, { immutable: false, expiresAfterMs: 7_200_000 }],
    ["an unreadable expiry", { "quay.expires-after": "soon" }, { immutable: false }],
    ["immutable", { "quay.immutable": "true" }, { immutable: true }],
    ["immutable false", { "quay.immutable": "false" }, { immutable: false }],
    ["both", { "quay.immutable": "true", "quay.expires-after": "1d" }, { immutable: true, expiresAfterMs: 86_400_000 }],
  ] as [string, Record<string, string>, object][])("%s", (_name, labels, want) => {
    expect(labelEffects(labels)).toEqual(want as any);
  });
});
