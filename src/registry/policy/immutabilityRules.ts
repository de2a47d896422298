// Immutability policies as Quay defines them (data/model/immutability.py): a tag whose whole name
// matches the pattern (or, with tagPatternMatches false, does not) is immutable from the moment it
// is pushed, created, moved or restored; a new or changed policy also marks the live tags it names.
// Pure: checking a policy and deciding whether it names a tag.
import { patternProblem, type PolicyProblem } from "./policyBounds";
import { tagPattern } from "./tagPattern";

export interface ImmutabilityRule {
  tagPattern: string;
  tagPatternMatches: boolean;
}

/** Quay's _validate_policy, its words; `tagPattern` arrives trimmed. */
export function checkImmutabilityPolicy(pattern: string): PolicyProblem | undefined {
  if (pattern === "") return { message: "tag_pattern is required and must be a non-empty string", field: "tagPattern" };
  const bad = patternProblem(pattern);
  return bad ? { message: bad, field: "tagPattern" } : undefined;
}

/** Whether the rule makes `tag` immutable (the pattern must match the whole name, as re.fullmatch). */
export function ruleNames(rule: ImmutabilityRule, tag: string): boolean {
  let matches: boolean;
  try {
    matches = tagPattern(rule.tagPattern).fullMatch(tag);
  } catch {
    // Patterns are checked when stored; one that no longer compiles counts as not matching (Quay's rule).
    matches = false;
  }
  return matches === rule.tagPatternMatches;
}

/** Whether any of the rules makes `tag` immutable. */
export function immutableByRules(rules: readonly ImmutabilityRule[], tag: string): boolean {
  return rules.some((r) => ruleNames(r, tag));
}
