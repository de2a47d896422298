import { describe, expect, test } from "bun:test";
import { loginAlive, type SessionData } from "../../../src/v1/caller.ts";

describe("loginAlive: a session's login lasts sessionLifetimeSeconds from its time t", () => {
  const policy = { lifetimeMs: 60_000, now: 1_000_000 };
  test.each<[string, SessionData, boolean]>([
    ["just signed in", { u: "x", t: 1_000_000 }, true],
    ["59 s ago", { u: "x", t: 941_000 }, true],
    ["exactly the lifetime ago", { u: "x", t: 940_000 }, false],
    ["75 s ago", { u: "x", t: 925_000 }, false],
    ["no login time", { u: "x" }, false],
    ["a login time that is not a number", { u: "x", t: "999999" as unknown as number }, false],
  ])("%s", (_, data, alive) => {
    expect(loginAlive(data, policy)).toBe(alive);
  });
});
