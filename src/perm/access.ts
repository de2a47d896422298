// What a caller may do on a repository. Every /v2 route asks here, and only here; the token
// auth issue replaces openAccess with a policy that reads the Bearer token's scopes.

export type RepoAction = "pull" | "push" | "delete";

export type AccessDecision =
  | { allowed: true }
  | { allowed: false; reason: "unauthenticated" | "insufficient"; scope: string };

export interface AccessPolicy {
  /** Whether the request may perform all of `actions` on the repository `repo` (ns/name). */
  check(request: Request, repo: string, actions: RepoAction[]): Promise<AccessDecision>;
  /** Whether the caller may see the repository in listings such as _catalog. */
  canList(request: Request, repo: string): Promise<boolean>;
}

export function repositoryScope(repo: string, actions: RepoAction[]): string {
  return `repository:${repo}:${actions.join(",")}`;
}

/** `--auth none`: anyone may push and pull. */
export const openAccess: AccessPolicy = {
  check: async () => ({ allowed: true }),
  canList: async () => true,
};
