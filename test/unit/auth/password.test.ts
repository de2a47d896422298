import { describe, expect, test } from "bun:test";
import {
  constantTimeEqual,
  hashPassword,
  needsRehash,
  passwordProblem,
  randomAlnum,
  randomToken,
  verifyPassword,
} from "../../../src/auth/password.ts";

describe("passwordProblem", () => {
  test.each<[string, string | undefined]>([
    ["", "Password must be at least 8 characters long"],
    ["1234567", "Password must be at least 8 characters long"],
    ["🔑🔑🔑🔑🔑🔑🔑", "Password must be at least 8 characters long"], // 7 code points, 14 UTF-16 units
    ["12345678", undefined],
    ["🔑🔑🔑🔑🔑🔑🔑🔑", undefined],
    ["correct-horse-battery", undefined],
    ["correct horse battery", "Password must not contain whitespace"],
    ["tab\there12", "Password must not contain whitespace"],
    ["newline\nhere", "Password must not contain whitespace"],
    ["nbsp\u00a0here1", "Password must not contain whitespace"],
    ["  12345678", "Password must not contain whitespace"],
    ["x".repeat(1024), undefined],
    ["x".repeat(1025), "Password must be at most 1024 characters long"],
  ])("%j → %p", (pw, problem) => {
    expect(passwordProblem(pw)).toBe(problem);
  });
});

describe("hashPassword / verifyPassword", () => {
  test("argon2id with m=19456, t=2; verifies the right password only", async () => {
    const hash = await hashPassword("s3cret-pass");
    expect(hash).toStartWith("$argon2id$v=19$m=19456,t=2,p=1$");
    expect(needsRehash(hash)).toBe(false);
    expect(await verifyPassword("s3cret-pass", hash)).toBe(true);
    expect(await verifyPassword("s3cret-pasS", hash)).toBe(false);
    expect(await verifyPassword("", hash)).toBe(false);
    expect(await hashPassword("s3cret-pass")).not.toBe(hash); // salted
  });

  test("missing or broken hashes are refused (after a dummy verify)", async () => {
    for (const h of [undefined, null, "", "plaintext", "$argon2id$garbage", "$2b$10$abcdefghijklmnopqrstuv"]) {
      expect(await verifyPassword("whatever1", h)).toBe(false);
    }
  });

  test("needsRehash flags Bun's default parameters", async () => {
    expect(needsRehash(await Bun.password.hash("x", { algorithm: "argon2id" }))).toBe(true);
    expect(needsRehash("$2b$10$abc")).toBe(true);
  });
});

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
