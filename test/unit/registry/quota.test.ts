// Quay's check_limits as a table: which limit a usage reaches.
import { expect, test } from "bun:test";
import { limitShare, measureQuota, rejectBytes, type QuotaLimits } from "../../../src/registry/quota";

const W = (percent: number) => ({ type: "Warning" as const, percent });
const R = (percent: number) => ({ type: "Reject" as const, percent });
const q = (limitBytes: number, ...limits: QuotaLimits["limits"]): QuotaLimits => ({ limitBytes, limits });

test.each<[string, QuotaLimits, number, "Warning" | "Reject" | null, number | null]>([
  ["no limits: never warns or refuses", q(1000), 5000, null, null],
  ["below every limit", q(1000, W(80), R(100)), 799, null, null],
  ["exactly at a Warning share reaches it (>=, as Quay)", q(1000, W(80), R(100)), 800, "Warning", 80],
  ["between Warning and Reject", q(1000, W(80), R(100)), 999, "Warning", 80],
  ["exactly at the quota reaches Reject", q(1000, W(80), R(100)), 1000, "Reject", 100],
  ["past the quota", q(1000, W(80), R(100)), 5000, "Reject", 100],
  ["the highest reached limit wins, whatever the order", q(1000, R(90), W(50), W(70)), 750, "Warning", 70],
  ["a Reject below a Warning: past both, the higher (Warning) names it", q(1000, R(50), W(90)), 950, "Warning", 90],
  ["Warning and Reject at the same share: Reject wins", q(1000, W(100), R(100)), 1000, "Reject", 100],
  ["shares round down (Quay's int())", q(999, R(50)), 499, "Reject", 50],
  ["empty namespace", q(1000, W(1), R(100)), 0, null, null],
])("%s", (_name, quota, usage, severity, threshold) => {
  expect(measureQuota(quota, usage)).toEqual({ severity, thresholdPercent: threshold, usageBytes: usage, quotaBytes: quota.limitBytes });
});

test("a limit's share of the quota", () => {
  expect(limitShare(1073741824, 80)).toBe(858993459);
  expect(limitShare(3, 50)).toBe(1);
});

test.each<[string, QuotaLimits, number | undefined]>([
  ["no Reject limit: nothing is refused", q(1000, W(80)), undefined],
  ["no limits at all", q(1000), undefined],
  ["one Reject limit", q(1000, W(80), R(100)), 1000],
  ["the lowest of several Reject limits", q(1000, R(100), R(90)), 900],
  ["shares round down", q(999, R(50)), 499],
])("the usage pushes are refused at: %s", (_name, quota, bytes) => {
  expect(rejectBytes(quota)).toBe(bytes);
});
