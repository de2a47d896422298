// What a caller may do on a repository. Every /v2 route asks here, and only here.
import type { Identity, TokenSubject } from "../auth/identity";

export type RepoAction = "pull" | "push" | "delete";

export type AccessDecision =
  | { allowed: true }
  | { allowed: false; reason: "unauthenticated" | "insufficient" | "invalidToken"; message: string };

export interface AccessPolicy {
  readonly mode: "none" | "token";
  /** `GET /v2/`: whether the caller is authenticated (token mode) or anyone is welcome. */
  checkBase(request: Request): Promise<AccessDecision>;
  /**
   * Whether the request may perform all of `actions` on the repository `repo` (ns/name). A
   * decision known at once (a token verified before) comes without a promise: the pull path
   * skips a microtask hop.
   */
  check(request: Request, repo: string, actions: RepoAction[]): AccessDecision | Promise<AccessDecision>;
  /** For _catalog: which repositories the caller may see, or why it may not list at all. */
  catalogFilter(request: Request): Promise<CatalogFilter>;
  /**
   * Who the request's bearer token names, as check() already verified it: a lookup of the
   * verified claims, never a second signature check (the audit log asks on every pull).
   * Undefined for anonymous callers and in `--auth none`.
   */
  verifiedSubject(request: Request): TokenSubject | undefined;
  /**
   * Who the request's bearer token speaks for, verified, for listings of what a caller may read
   * (_catalog, /v1/search): undefined without an Authorization header, ANONYMOUS for an anonymous
   * token or an account that no longer exists or is disabled. Always undefined in `--auth none`.
   */
  bearerIdentity(request: Request): Promise<BearerIdentity | undefined>;
}

export type BearerIdentity = { ok: true; identity: Identity } | { ok: false; reason: string };

export type CatalogFilter =
  | { allowed: true; canSee: (repo: string) => boolean | Promise<boolean> }
  | Exclude<AccessDecision, { allowed: true }>;

export const CATALOG_SCOPE = "registry:catalog:*";

export function repositoryScope(repo: string, actions: RepoAction[]): string {
  return `repository:${repo}:${actions.join(",")}`;
}

const ALLOWED: AccessDecision = { allowed: true };

/** `--auth none`: anyone may push and pull. */
export const openAccess: AccessPolicy = {
  mode: "none",
  checkBase: async () => ALLOWED,
  check: () => ALLOWED,
  catalogFilter: async () => ({ allowed: true, canSee: () => true }),
  verifiedSubject: () => undefined,
  bearerIdentity: async () => undefined,
};
