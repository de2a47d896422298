import { describe, expect, test } from "bun:test";
import { jsonDepthWithin } from "../../../src/oci";

const nested = (n: number) => JSON.parse("[".repeat(n) + "]".repeat(n));

describe("jsonDepthWithin", () => {
  const cases: [string, unknown, number, boolean][] = [
    ["a scalar is depth 0", "x", 0, true],
    ["null is a scalar", null, 0, true],
    ["an empty array is depth 1", [], 0, false],
    ["[] within 1", [], 1, true],
    ["a flat list of strings", ["sh", "-c", "make"], 1, true],
    ["an object in a list is 2", [{ a: 1 }], 1, false],
    ["an object in a list within 2", [{ a: 1 }], 2, true],
    ["the deepest branch counts, not the first", [1, [2, [3]], "x"], 2, false],
    ["objects count like arrays", { a: { b: { c: {} } } }, 4, true],
    ["objects count like arrays (over)", { a: { b: { c: {} } } }, 3, false],
    ["200 000 deep, refused without overflowing", nested(200_000), 4, false],
    ["200 000 deep, accepted when the bound allows it", nested(200_000), 200_000, true],
  ];
  for (const [name, value, max, want] of cases) {
    test(name, () => expect(jsonDepthWithin(value, max)).toBe(want));
  }

  test("a wide value is walked without recursion", () => {
    const wide = Array.from({ length: 100_000 }, (_, i) => ({ i }));
    expect(jsonDepthWithin(wide, 2)).toBe(true);
    expect(jsonDepthWithin(wide, 1)).toBe(false);
  });
});
