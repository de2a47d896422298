import { describe, expect, test } from "bun:test";
import { diskSpaceCheck, healthAnswer } from "../../../src/health/report";

describe("healthAnswer: Quay's shape, 503 when any service failed", () => {
  const cases: [string, Parameters<typeof healthAnswer>[0], number, string[]][] = [
    ["all well", { database: { ok: true }, storage: { ok: true } }, 200, []],
    ["one failed", { database: { ok: true }, storage: { ok: false, reason: "ENOENT" } }, 503, ["storage: ENOENT"]],
    ["both failed", { database: { ok: false, reason: "locked" }, storage: { ok: false, reason: "EIO" } }, 503, ["database: locked", "storage: EIO"]],
  ];
  for (const [name, checks, status, failures] of cases) {
    test(name, () => {
      const a = healthAnswer(checks);
      expect(a.status).toBe(status as 200 | 503);
      expect(a.body.status_code).toBe(status as 200 | 503);
      expect(a.body.data.services).toEqual(Object.fromEntries(Object.entries(checks).map(([k, v]) => [k, v.ok])));
      expect(a.failures).toEqual(failures);
    });
  }
});

describe("diskSpaceCheck: at least 1 % of the blocks available", () => {
  const cases: [number, number, boolean][] = [
    [50, 100, true],
    [1, 100, true],
    [99, 10_000, false],
    [0, 100, false],
    [0, 0, true], // a file system that reports no size (some FUSE mounts): nothing to judge
  ];
  for (const [bavail, blocks, ok] of cases) {
    test(`${bavail} of ${blocks}`, () => expect(diskSpaceCheck({ bavail, blocks }).ok).toBe(ok));
  }
});
