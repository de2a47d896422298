// Repository names and tags, with the exact grammars of the distribution-spec v1.1
// ("Pulling manifests": <name> and <reference>).

export const REPO_NAME_MAX = 255;
export const TAG_MAX = 128;

// Path components of lowercase alphanumerics joined by ".", "_", "__" or runs of "-".
const REPO_NAME =
  /^[a-z0-9]+(?:(?:\.|_|__|-+)[a-z0-9]+)*(?:\/[a-z0-9]+(?:(?:\.|_|__|-+)[a-z0-9]+)*)*$/;

// Up to 128 characters, not starting with "." or "-" (so it never looks like a path or flag).
const TAG = /^[a-zA-Z0-9_][a-zA-Z0-9._-]{0,127}$/;

export function isValidRepoName(name: string): boolean {
  // Length first: it is cheap and bounds the regex's work on hostile input.
  return name.length > 0 && name.length <= REPO_NAME_MAX && REPO_NAME.test(name);
}

export function isValidTag(tag: string): boolean {
  return TAG.test(tag);
}

/** The namespace single-component names live in (Quay's LIBRARY_NAMESPACE, Docker Hub's official images). */
export const LIBRARY_NAMESPACE = "library";

/**
 * Names no user or organization may take: `docker pull alpine` is served from `library`, so
 * whoever held it would serve every unqualified pull. Berth holds it (an organization owned by
 * the superusers, made at start). Quay reserves no names itself: its library org is made by
 * the operator, and until then anybody could claim it.
 */
export const RESERVED_NAMESPACES: ReadonlySet<string> = new Set([LIBRARY_NAMESPACE]);

export function isReservedNamespace(name: string): boolean {
  return RESERVED_NAMESPACES.has(name);
}

/** Single-component names live in the `library` namespace, as on Quay and Docker Hub. */
export function canonicalRepoName(name: string): string {
  return name.includes("/") ? name : `${LIBRARY_NAMESPACE}/${name}`;
}
