// Auto-prune policies as Quay defines them (data/model/autoprune.py): keep a repository's newest
// N tags (`number_of_tags`) or delete tags older than a duration (`creation_date`), optionally
// only tags whose name matches (or, with tagPatternMatches false, does not match) a pattern.
// Pure: checking a policy, and choosing which of a repository's live tags a policy prunes.
import { parseDuration } from "../../oci/duration";
import { patternProblem, type PolicyProblem } from "./policyBounds";
import { tagPattern } from "./tagPattern";

export type AutoPruneMethod = "number_of_tags" | "creation_date";

/** A policy as stored and shown: `value` a tag count or a duration such as `7d`. */
export interface AutoPruneConfig {
  method: AutoPruneMethod;
  value: number | string;
  /** Null: every tag. */
  tagPattern: string | null;
  tagPatternMatches: boolean;
}

const METHODS: readonly string[] = ["number_of_tags", "creation_date"];
const YEAR_MS = 365 * 86_400_000;

/** Quay's convert_to_timedelta (`30s`, `5m`, `12h`, `7d`, `2w`, `1y`) in milliseconds; zero refused. */
export function pruneAgeMs(value: string): number | undefined {
  const years = /^([0-9]{1,6})y$/.exec(value);
  if (years) return Number(years[1]) > 0 ? Number(years[1]) * YEAR_MS : undefined;
  return parseDuration(value, 12);
}

/**
 * Checks a policy body's values (its JSON types were checked before) in Quay's order and words.
 * `tagPattern` arrives trimmed, as Quay strips it.
 */
export function checkAutoPrunePolicy(input: { method: string; value: unknown; tagPattern: string | null }): PolicyProblem | undefined {
  if (!METHODS.includes(input.method)) return { message: "Invalid method provided", field: "method" };
  const { value } = input;
  const valid =
    input.method === "number_of_tags"
      ? typeof value === "number" && Number.isSafeInteger(value) && value > 0
      : typeof value === "string" && pruneAgeMs(value) !== undefined;
  if (!valid) return { message: "Invalid value given for method type", field: "value" };
  if (input.tagPattern !== null) {
    if (input.tagPattern === "") return { message: "tag_pattern cannot be empty", field: "tagPattern" };
    const bad = patternProblem(input.tagPattern);
    if (bad) return { message: bad, field: "tagPattern" };
  }
  return undefined;
}

/** A live tag as the pruner sees it. */
export interface PruneCandidate {
  id: number;
  name: string;
  /** When the tag's current period started (Quay's lifetime_start_ms: its push or last move). */
  startMs: number;
  immutable: boolean;
}

// Cosign's signature, attestation and SBOM tags live and die with their subject: Quay never prunes them.
const COSIGN_TAG = /^sha256-[a-f0-9]{64}\.(sig|att|sbom)$/;

/**
 * Whether the policy looks at the tag at all: immutable and Cosign tags are neither deleted nor
 * counted; the pattern is searched anywhere in the name (Quay's re.search).
 */
export function policyCovers(policy: AutoPruneConfig): (tag: PruneCandidate) => boolean {
  const pattern = policy.tagPattern === null ? undefined : tagPattern(policy.tagPattern);
  return (t) => !t.immutable && !COSIGN_TAG.test(t.name) && (!pattern || pattern.search(t.name) === policy.tagPatternMatches);
}

/** Among the tags the policy covers, those it deletes at `now`: all but the newest N, or those older than its age. */
export function choosePruned(covered: readonly PruneCandidate[], policy: AutoPruneConfig, now: number): PruneCandidate[] {
  if (policy.method === "number_of_tags") {
    const newestFirst = [...covered].sort((a, b) => b.startMs - a.startMs || b.id - a.id);
    return newestFirst.slice(Number(policy.value));
  }
  const age = pruneAgeMs(String(policy.value));
  return age === undefined ? [] : covered.filter((t) => now - t.startMs > age);
}

/** The tags `policy` deletes among a repository's live tags at `now`. */
export function tagsToPrune(tags: readonly PruneCandidate[], policy: AutoPruneConfig, now: number): PruneCandidate[] {
  return choosePruned(tags.filter(policyCovers(policy)), policy, now);
}

/**
 * The order a repository's policies run in (Quay's execute_policies_for_repo): every age policy
 * first, then the count policies, so the result does not depend on the order they were made in.
 */
export function pruneOrder<P extends { config: AutoPruneConfig }>(policies: readonly P[]): P[] {
  return [...policies.filter((p) => p.config.method === "creation_date"), ...policies.filter((p) => p.config.method === "number_of_tags")];
}
