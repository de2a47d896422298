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

/** Single-component names live in the `library` namespace, as on Quay and Docker Hub. */
export function canonicalRepoName(name: string): string {
  return name.includes("/") ? name : `library/${name}`;
}
