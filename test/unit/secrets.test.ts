import { describe, expect, test } from "bun:test";
import { constantTimeEqual, randomAlnum, randomToken } from "../../src/secrets.ts";

describe("constantTimeEqual", () => {
  test.each<[string, string, boolean]>([
    ["", "", true],
    ["abc", "abc", true],
    ["abc", "abd", false],
    ["abc", "abcd", false],
    ["", "a", false],
    ["é", "e\u0301", false], // no normalisation: different bytes
    ["🔑token", "🔑token", true],
    ["x".repeat(10_000), "x".repeat(10_000), true],
  ])("%j vs %j → %p", (a, b, eq) => {
    expect(constantTimeEqual(a, b)).toBe(eq);
    expect(constantTimeEqual(b, a)).toBe(eq);
  });
});

describe("random tokens", () => {
  test("randomToken: URL-safe base64 without padding, 48 bytes → 64 chars", () => {
    expect(randomToken()).toMatch(/^[A-Za-z0-9_-]{64}$/);
    expect(randomToken(16)).toMatch(/^[A-Za-z0-9_-]{22}$/);
    expect(new Set(Array.from({ length: 100 }, () => randomToken())).size).toBe(100);
  });

  test("randomAlnum: robot tokens are 64 chars of A-Z0-9", () => {
    expect(randomAlnum(64)).toMatch(/^[A-Z0-9]{64}$/);
    expect(randomAlnum(0)).toBe("");
    expect(randomAlnum(5, "ab")).toMatch(/^[ab]{5}$/);
    expect(() => randomAlnum(-1)).toThrow();
    expect(() => randomAlnum(1.5)).toThrow();
    expect(() => randomAlnum(3, "a")).toThrow();
  });

  test("randomAlnum is roughly uniform (no modulo bias towards A-D)", () => {
    const s = randomAlnum(72_000);
    const counts = new Map<string, number>();
    for (const c of s) counts.set(c, (counts.get(c) ?? 0) + 1);
    expect(counts.size).toBe(36);
    // expected 2000 each, sd ≈ 44; a 256 % 36 bias would put A-D near 2250.
    for (const n of counts.values()) expect(Math.abs(n - 2000)).toBeLessThan(250);
  });
});
