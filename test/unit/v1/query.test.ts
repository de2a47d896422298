// Boolean query parameters read as Quay's truthy_bool reads them (util/parsing.py): only a few
// exact spellings are false, so Python clients sending `True` get what they asked for.
import { describe, expect, test } from "bun:test";
import { queryFlag, truthy } from "../../../src/v1/query";

describe("truthy", () => {
  const cases: [string, boolean][] = [
    ["true", true],
    ["True", true],
    ["TRUE", true],
    ["1", true],
    ["yes", true],
    ["on", true],
    [" ", true],
    // Quay compares exact spellings: other capitalisations of false are true there too.
    ["fAlse", true],
    ["false", false],
    ["False", false],
    ["FALSE", false],
    ["0", false],
    ["", false],
    ["null", false],
  ];
  for (const [value, expected] of cases) {
    test(`${JSON.stringify(value)} is ${expected}`, () => expect(truthy(value)).toBe(expected));
  }
});

describe("queryFlag", () => {
  const cases: [Record<string, string | undefined>, boolean | undefined, boolean][] = [
    [{}, undefined, false],
    [{}, true, true],
    [{ flag: undefined }, true, true],
    [{ flag: "True" }, undefined, true],
    [{ flag: "False" }, true, false],
    [{ flag: "" }, true, false],
    [{ other: "true" }, undefined, false],
  ];
  for (const [query, fallback, expected] of cases) {
    test(`${JSON.stringify(query)} with fallback ${fallback} is ${expected}`, () => expect(queryFlag(query, "flag", fallback)).toBe(expected));
  }
});
