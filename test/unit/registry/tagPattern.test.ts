// Policy tag patterns: Python's regular-expression syntax run by an automaton (linear time).
// Where JavaScript's RegExp means the same, the answers must agree with it; pathological patterns
// must answer at once; what the engine does not support is an invalid pattern, never a wrong answer.
import { describe, expect, test } from "bun:test";
import { MAX_PATTERN_LENGTH, TagPattern, TagPatternError } from "../../../src/registry/policy/tagPattern";

const TAGS = ["latest", "v1", "v1.2.3", "v10", "V1", "dev-123", "release_2024-01", "a", "", "sha256-abc.sig", "x".repeat(128), "build-2024-01-01-abcdef"];

describe("answers as JavaScript's RegExp where the syntax means the same", () => {
  const patterns = [
    "latest",
    "^v",
    "^v\\d+$",
    "v[0-9]+\\.[0-9]+",
    "^(dev|release)[-_]",
    "[^a-z]",
    "^[a-z]+$",
    "\\w+-\\d{3}$",
    "^.{2,4}$",
    "^.{,3}$",
    "^x{128}$",
    "1\\b",
    "\\Bv",
    "(a|b)*c?$",
    "^(?:v|V)1$",
    "^(?P<major>v\\d+)(\\.\\d+)*$",
    "^(?<name>dev)-",
    ".*",
    "",
    "^$",
    "a{2}",
    "[.]",
    "[\\d.]+",
    "[a\\-z]",
    "[]x]",
    "[^]]",
    "-\\d+?",
    "\\x76\\u0031",
    "(?#note)^v1$",
    "^(a*)*$",
    "{",
    "a{x}",
    "a|",
    `^(${"|".repeat(200)}v)1$`,
  ];
  const js = (p: string) => new RegExp(p.replace(/\(\?P</g, "(?<").replace(/\(\?#[^)]*\)/g, "").replace(/\{,/g, "{0,").replace(/^\[\]x\]$/, "[\\]x]").replace(/^\[\^\]\]$/, "[^\\]]").replace(/^\{$/, "\\{").replace(/^a\{x\}$/, "a\\{x\\}"));
  for (const p of patterns) {
    test(`${JSON.stringify(p)}`, () => {
      const ours = TagPattern.compile(p);
      const theirs = js(p);
      const whole = new RegExp(`^(?:${theirs.source})$`);
      for (const t of TAGS) {
        expect({ t, search: ours.search(t) }).toEqual({ t, search: theirs.test(t) });
        expect({ t, full: ours.fullMatch(t) }).toEqual({ t, full: whole.test(t) });
      }
    });
  }
});

describe("Python's meaning where it differs from a bare RegExp", () => {
  test.each([
    ["(?i)^V1$", "v1", true],
    ["(?i)[^a]", "A", false],
    ["(?i)[a-c]x", "BX", true],
    ["^v1$", "V1", false],
    ["\\Av1\\Z", "v1", true],
    [".", "\n", false],
  ])("%p on %p: %p", (p, text, want) => {
    expect(TagPattern.compile(p).search(text)).toBe(want);
  });
});

describe("invalid patterns say what is wrong", () => {
  test.each([
    ["[invalid", /unterminated character set/],
    ["(abc", /missing \), unterminated subpattern/],
    ["abc)", /unbalanced parenthesis/],
    ["*a", /nothing to repeat/],
    ["a**", /multiple repeat/],
    ["^*", /nothing to repeat/],
    ["a{3,2}", /min repeat greater than max repeat/],
    ["a{1001}", /repeat count over 1000/],
    ["[z-a]", /bad character range/],
    ["[a-\\d]", /bad character range/],
    ["\\q", /bad escape \\q/],
    ["a\\", /bad escape/],
    ["(a)\\1", /backreferences are not supported/],
    ["(?P<x>a)(?P=x)", /backreferences are not supported/],
    ["v(?=1)", /lookaround is not supported/],
    ["(?<!x)v", /lookaround is not supported/],
    ["a*+", /possessive quantifiers are not supported/],
    ["(?s).", /unsupported group or flag/],
    ["(?>a)", /unsupported group or flag/],
    ["((((a{100}){100}){100}))", /too complex/],
    ["a".repeat(MAX_PATTERN_LENGTH + 1), /longer than 256/],
  ])("%p", (p, message) => {
    expect(() => TagPattern.compile(p)).toThrow(TagPatternError);
    expect(() => TagPattern.compile(p)).toThrow(message);
  });
});

describe("no pattern takes long, whatever the tag", () => {
  // Each of these takes a backtracking engine exponential or high-polynomial time on a
  // 128-character tag that almost matches.
  const evil = ["([a-z0-9]*[-_.]?){100}$", "^(a+)+$", "^(a|a)*$", "^(a|aa)+$", "(\\w*)*x$", "^(a*)*b$", `^${"a*".repeat(40)}b$`, "^(.*a){20}$", "^(\\w+\\s?)*$"];
  test.each(evil)("%p", (p) => {
    const pattern = TagPattern.compile(p);
    const started = performance.now();
    for (const tag of ["a".repeat(127) + "!", "a".repeat(128)]) {
      pattern.search(tag);
      pattern.fullMatch(tag);
    }
    expect(performance.now() - started).toBeLessThan(200);
  });
});
