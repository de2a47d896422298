import { describe, expect, test } from "bun:test";
import { CredentialCache } from "../../../src/auth/credentialCache.ts";

function cache(opts: { ttlMs?: number; maxEntries?: number } = {}) {
  const clock = { ms: 5_000_000 };
  return { c: new CredentialCache<{ id: number }>({ now: () => clock.ms, ...opts }), clock };
}

describe("CredentialCache", () => {
  test("hit only for the same user and secret", () => {
    const { c } = cache();
    c.set("alice", "pw-1", { id: 1 });
    expect(c.get("alice", "pw-1")).toEqual({ id: 1 });
    expect(c.get("alice", "pw-2")).toBeUndefined();
    expect(c.get("bob", "pw-1")).toBeUndefined();
    // the \0 separator keeps ("ab","c") and ("a","bc") apart
    c.set("ab", "c", { id: 2 });
    expect(c.get("a", "bc")).toBeUndefined();
  });

  test("expires after the TTL (default 60 s)", () => {
    const { c, clock } = cache();
    c.set("alice", "pw", { id: 1 });
    clock.ms += 59_999;
    expect(c.get("alice", "pw")).toEqual({ id: 1 });
    clock.ms += 1;
    expect(c.get("alice", "pw")).toBeUndefined();
    expect(c.size).toBe(0);
  });

  test("invalidateUser also drops what the user logged in with under another name (email, $app)", () => {
    const { c } = cache();
    c.set("alice@example.com", "pw", { id: 1 }, undefined, "alice");
    c.set("$app", "code", { id: 1 }, undefined, "alice");
    c.set("$app", "other-code", { id: 2 }, undefined, "bob");
    c.invalidateUser("alice");
    expect(c.get("alice@example.com", "pw")).toBeUndefined();
    expect(c.get("$app", "code")).toBeUndefined();
    expect(c.get("$app", "other-code")).toEqual({ id: 2 });
  });

  test("invalidateUser drops every secret of that user only", () => {
    const { c } = cache();
    c.set("alice", "pw", { id: 1 });
    c.set("alice", "app-token", { id: 1 });
    c.set("alice+robot", "ROBOTTOKEN", { id: 3 });
    c.set("bob", "pw", { id: 2 });
    c.invalidateUser("alice");
    expect(c.get("alice", "pw")).toBeUndefined();
    expect(c.get("alice", "app-token")).toBeUndefined();
    expect(c.get("alice+robot", "ROBOTTOKEN")).toEqual({ id: 3 });
    expect(c.get("bob", "pw")).toEqual({ id: 2 });
  });

  test("a check that raced an invalidation is not cached", () => {
    const { c } = cache();
    const gen = c.generation; // read before the slow password check
    c.invalidateUser("alice"); // password changed meanwhile
    c.set("alice", "old-pw", { id: 1 }, gen);
    expect(c.get("alice", "old-pw")).toBeUndefined();
    c.set("alice", "new-pw", { id: 1 }, c.generation);
    expect(c.get("alice", "new-pw")).toEqual({ id: 1 });
  });

  test("never holds the secret itself", () => {
    const { c } = cache();
    c.set("alice", "very-secret-password", { id: 1 });
    const internals = JSON.stringify([...(c as any).entries]);
    expect(internals).not.toContain("very-secret-password");
    expect(internals).toMatch(/[0-9a-f]{64}/);
  });

  test("bounded: expired entries go first, then the oldest", () => {
    const { c, clock } = cache({ maxEntries: 3, ttlMs: 1000 });
    c.set("a", "1", { id: 1 });
    clock.ms += 600;
    c.set("b", "1", { id: 2 });
    c.set("c", "1", { id: 3 });
    clock.ms += 500; // a expired
    c.set("d", "1", { id: 4 });
    expect(c.size).toBe(3);
    expect(c.get("b", "1")).toEqual({ id: 2 });
    c.set("e", "1", { id: 5 }); // none expired: the oldest (b) goes
    expect(c.size).toBe(3);
    expect(c.get("b", "1")).toBeUndefined();
    expect(c.get("e", "1")).toEqual({ id: 5 });
  });

  test("clear empties it", () => {
    const { c } = cache();
    c.set("a", "1", { id: 1 });
    c.clear();
    expect(c.get("a", "1")).toBeUndefined();
  });
});
