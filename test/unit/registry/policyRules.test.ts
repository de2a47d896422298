// The pure rules of auto-prune and immutability policies: Quay's checks and words, which tags a
// policy prunes, the order policies run in, and which tags an immutability rule names.
import { describe, expect, test } from "bun:test";
import { checkAutoPrunePolicy, pruneAgeMs, pruneOrder, tagsToPrune, type AutoPruneConfig, type PruneCandidate } from "../../../src/registry/policy/autoPruneRules";
import { checkImmutabilityPolicy, immutableByRules, ruleNames } from "../../../src/registry/policy/immutabilityRules";

const H = 3_600_000;
const D = 24 * H;

describe("Quay's durations for creation_date", () => {
  test.each([
    ["30s", 30_000],
    ["5m", 300_000],
    ["12h", 12 * H],
    ["7d", 7 * D],
    ["2w", 14 * D],
    ["1y", 365 * D],
    ["0d", undefined],
    ["0y", undefined],
    ["-1d", undefined],
    ["7", undefined],
    ["7 d", undefined],
    ["1M", undefined],
    ["9999999y", undefined],
  ])("%p → %p", (text, ms) => expect(pruneAgeMs(text)).toBe(ms));
});

describe("checking an auto-prune policy", () => {
  test.each<[Parameters<typeof checkAutoPrunePolicy>[0], string | undefined, string | undefined]>([
    [{ method: "number_of_tags", value: 10, tagPattern: null }, undefined, undefined],
    [{ method: "creation_date", value: "7d", tagPattern: "^dev" }, undefined, undefined],
    [{ method: "by_size", value: 10, tagPattern: null }, "method", "Invalid method provided"],
    [{ method: "number_of_tags", value: -1, tagPattern: null }, "value", "Invalid value given for method type"],
    [{ method: "number_of_tags", value: "10", tagPattern: null }, "value", "Invalid value given for method type"],
    [{ method: "number_of_tags", value: 2 ** 60, tagPattern: null }, "value", "Invalid value given for method type"],
    [{ method: "creation_date", value: 7, tagPattern: null }, "value", "Invalid value given for method type"],
    [{ method: "creation_date", value: "7d", tagPattern: "" }, "tagPattern", "tag_pattern cannot be empty"],
    [{ method: "creation_date", value: "7d", tagPattern: "(" }, "tagPattern", "Invalid regex pattern: missing ), unterminated subpattern at position 1"],
  ])("%j", (input, field, message) => {
    const problem = checkAutoPrunePolicy(input);
    expect(problem?.field).toBe(field);
    expect(problem?.message).toBe(message);
  });
});

describe("which tags a policy prunes", () => {
  const NOW = 100 * D;
  // Oldest first; startMs in days before NOW.
  const tag = (id: number, name: string, daysOld: number, immutable = false): PruneCandidate => ({ id, name, startMs: NOW - daysOld * D, immutable });
  const TAGS = [tag(1, "v1", 30), tag(2, "v2", 20, true), tag(3, "latest", 15), tag(4, "v3", 10), tag(5, `sha256-${"b".repeat(64)}.att`, 9), tag(6, "v4", 1), tag(7, "dev-1", 0.5)];
  const policy = (p: Partial<AutoPruneConfig>): AutoPruneConfig => ({ method: "number_of_tags", value: 2, tagPattern: null, tagPatternMatches: true, ...p });
  const names = (p: AutoPruneConfig) => tagsToPrune(TAGS, p, NOW).map((t) => t.name);

  test.each<[string, Partial<AutoPruneConfig>, string[]]>([
    ["keep the newest two (immutable and Cosign tags neither pruned nor counted)", {}, ["v3", "latest", "v1"]],
    ["keep the newest two v tags", { tagPattern: "^v" }, ["v1"]],
    ["keep the newest two tags that are not v tags", { tagPattern: "^v", tagPatternMatches: false }, []],
    ["the pattern is searched anywhere in the name (Quay's re.search)", { value: 1, tagPattern: "1" }, ["v1"]],
    ["keep more than there are", { value: 50 }, []],
    ["older than 12 days", { method: "creation_date", value: "12d" }, ["v1", "latest"]],
    ["older than 2 days, v tags only", { method: "creation_date", value: "2d", tagPattern: "^v" }, ["v1", "v3"]],
    ["older than 2 days, but not v tags", { method: "creation_date", value: "2d", tagPattern: "^v", tagPatternMatches: false }, ["latest"]],
    ["older than a year", { method: "creation_date", value: "1y" }, []],
  ])("%s", (_what, p, want) => {
    expect(names(policy(p)).sort()).toEqual(want.sort());
  });

  test("tags started in the same millisecond: the later one (higher id) counts as newer", () => {
    const same = [tag(1, "a", 1), tag(2, "b", 1)];
    expect(tagsToPrune(same, policy({ value: 1 }), NOW).map((t) => t.name)).toEqual(["a"]);
  });

  test("age policies run before count policies, whatever order they were made in", () => {
    const made = [{ config: policy({ value: 1 }), n: 1 }, { config: policy({ method: "creation_date", value: "1d" }), n: 2 }, { config: policy({ value: 3 }), n: 3 }];
    expect(pruneOrder(made).map((p) => p.n)).toEqual([2, 1, 3]);
  });
});

describe("immutability rules", () => {
  test.each([
    ["", "tag_pattern is required and must be a non-empty string"],
    ["a".repeat(257), "tag_pattern must be 256 characters or less"],
    ["[", "Invalid regex pattern: unterminated character set at position 1"],
    ["^v\\d+$", undefined],
  ])("check %p", (pattern, message) => expect(checkImmutabilityPolicy(pattern)?.message).toBe(message));

  test.each([
    ["v\\d+", true, "v12", true],
    ["v\\d+", true, "v12-rc", false], // the whole name must match (Quay's fullmatch)
    ["v\\d+", false, "v12-rc", true],
    ["v\\d+", false, "v12", false],
    ["(?i)release", true, "RELEASE", true],
  ])("%p (matches %p) names %p: %p", (tagPattern, tagPatternMatches, name, want) => {
    expect(ruleNames({ tagPattern, tagPatternMatches }, name)).toBe(want);
  });

  test("any rule naming the tag makes it immutable", () => {
    const rules = [
      { tagPattern: "stable", tagPatternMatches: true },
      { tagPattern: "v.*", tagPatternMatches: true },
    ];
    expect(immutableByRules(rules, "v2")).toBe(true);
    expect(immutableByRules(rules, "edge")).toBe(false);
    expect(immutableByRules([], "v2")).toBe(false);
  });
});
