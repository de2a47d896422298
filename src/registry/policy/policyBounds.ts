// What both kinds of policy share: how a pattern that cannot be used is refused (in Quay's words)
// and how many policies one namespace or repository may hold. Pure.
import { tagPattern, TagPatternError } from "./tagPattern";

/** Why a policy is refused: Quay's message and the body field it is about. */
export interface PolicyProblem {
  message: string;
  field: string;
}

/**
 * Policies one namespace or repository may hold, of each kind (Quay sets no limit): every push
 * evaluates its repository's immutability rules, every prune pass its auto-prune policies.
 */
export const MAX_POLICIES_PER_SCOPE = 50;

/** The refusal past MAX_POLICIES_PER_SCOPE. */
export const tooManyPolicies = (repository: boolean) => `At most ${MAX_POLICIES_PER_SCOPE} policies of this kind for one ${repository ? "repository" : "namespace"}`;

/** Quay's message for a pattern that does not compile (and Berth's bound on its size). */
export function patternProblem(pattern: string): string | undefined {
  try {
    tagPattern(pattern);
    return undefined;
  } catch (e) {
    if (e instanceof TagPatternError) return e.message.startsWith("pattern longer") ? "tag_pattern must be 256 characters or less" : `Invalid regex pattern: ${e.message}`;
    throw e;
  }
}
