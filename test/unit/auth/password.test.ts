import { describe, expect, test } from "bun:test";
import { hashPassword, needsRehash, passwordProblem, verifyPassword } from "../../../src/auth/password.ts";

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
  test("argon2id with m=7168, t=5; verifies the right password only", async () => {
    const hash = await hashPassword("s3cret-pass");
    expect(hash).toStartWith("$argon2id$v=19$m=7168,t=5,p=1$");
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

  test("needsRehash flags Bun's default parameters and the earlier m=19456, t=2; such hashes still verify", async () => {
    expect(needsRehash(await Bun.password.hash("x", { algorithm: "argon2id" }))).toBe(true);
    const earlier = await Bun.password.hash("s3cret-pass", { algorithm: "argon2id", memoryCost: 19456, timeCost: 2 });
    expect(needsRehash(earlier)).toBe(true);
    expect(await verifyPassword("s3cret-pass", earlier)).toBe(true);
    expect(needsRehash("$2b$10$abc")).toBe(true);
  });
});
