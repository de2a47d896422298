import { describe, expect, test } from "bun:test";
import { parseDuration } from "../../../src/cli/duration";

describe("parseDuration", () => {
  test.each<[string, number | undefined]>([
    ["1s", 1000],
    ["90s", 90_000],
    ["15m", 900_000],
    ["12h", 43_200_000],
    ["30d", 2_592_000_000],
    ["2w", 1_209_600_000],
    [" 7d ", 604_800_000],
    ["0d", undefined],
    ["0s", undefined],
    ["30", undefined],
    ["d", undefined],
    ["1.5d", undefined],
    ["-1d", undefined],
    ["30D", undefined],
    ["30 d", undefined],
    ["1y", undefined],
    ["3x", undefined],
    ["", undefined],
    ["999999999999w", undefined],
  ])("%p → %p", (text, ms) => {
    expect(parseDuration(text)).toBe(ms);
  });
});
