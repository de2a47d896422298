// Quay's tag_glob_csv patterns, with fnmatch's meaning.
import { expect, test } from "bun:test";
import { matchesTagGlobs } from "../../../src/mirror/tagGlob";

const cases: [string, string[], boolean][] = [
  ["latest", ["*"], true],
  ["7.6", ["7.6", "7.6-1.*"], true],
  ["7.6-1.2", ["7.6", "7.6-1.*"], true],
  ["7.7", ["7.6", "7.6-1.*"], false],
  ["v1", ["v?"], true],
  ["v10", ["v?"], false],
  ["v1", ["v[0-9]"], true],
  ["va", ["v[!0-9]"], true],
  ["v1", ["v[!0-9]"], false],
  // Regular expression characters are literal.
  ["v1x2", ["v1.2"], false],
  ["v1.2", ["v1.2"], true],
  ["a+b", ["a+b"], true],
  ["[x", ["[x"], true],
  ["anything", [], false],
];
test.each(cases)("%s against %p: %p", (tag, globs, want) => expect(matchesTagGlobs(tag, globs)).toBe(want));
