// Quay's architecture_filter for mirrors (data/model/repo_mirror.py, repomirrorworker's
// copy_filtered_architectures): which platforms of an upstream index are copied. Pure: no I/O.
import type { Descriptor } from "../oci";

/** Quay's VALID_ARCHITECTURES. */
export const VALID_ARCHITECTURES: ReadonlySet<string> = new Set(["amd64", "arm64", "ppc64le", "s390x"]);

/** Quay's validate_architecture_filter message, or undefined when every entry is valid (empty means all). */
export function invalidArchitectures(filter: readonly string[] | null | undefined): string | undefined {
  const invalid = [...new Set((filter ?? []).filter((a) => !VALID_ARCHITECTURES.has(a)))].sort();
  return invalid.length ? `Invalid architectures: ${invalid.join(", ")}` : undefined;
}

function architectureOf(d: Descriptor): string | undefined {
  const p = d.platform as { architecture?: unknown } | undefined;
  return typeof p?.architecture === "string" ? p.architecture : undefined;
}

/** A Python list's repr, as Quay's messages print them: ['amd64', 'arm64']. */
const pyList = (xs: readonly string[]) => `[${xs.map((x) => `'${x}'`).join(", ")}]`;

/**
 * The entries of an index whose platform's architecture the filter lists (Quay's
 * filter_manifests_by_architecture), or Quay's failure when none does.
 */
export function platformsToCopy(children: readonly Descriptor[], filter: readonly string[]): { copy: Descriptor[] } | { error: string } {
  const available = [...new Set(children.map(architectureOf).filter((a): a is string => a !== undefined))];
  const matching = filter.filter((a) => available.includes(a));
  if (matching.length === 0) return { error: `No matching architectures. Requested: ${pyList(filter)}, Available: ${pyList(available)}` };
  return { copy: children.filter((d) => matching.includes(architectureOf(d) ?? "")) };
}
