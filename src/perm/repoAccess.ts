// What a repository role lets its holder do through API v1 (reference §3.2): the decision behind
// Quay's @require_repo_read/write/admin, and the rules handlers apply on top of the route's
// guard. Pure; v1 turns a "no" into its ApiError.
import { roleAtLeast, type Principal, type RepoRole } from "./roles";

/** allowed; denied (401 anonymous, 403 signed in); missing (404). */
export type RepoCheck = "allowed" | "denied" | "missing";

/**
 * Quay's order: the permission first, so a repository the caller may not see answers the same
 * whether or not it exists; only a caller who would hold the role learns that it is missing.
 */
export function checkRepoRole(standing: { role: RepoRole; exists: boolean }, needed: RepoRole): RepoCheck {
  if (!roleAtLeast(standing.role, needed)) return "denied";
  return standing.exists ? "allowed" : "missing";
}

/**
 * The role a route needing `needed` asks of `principal`. A global read-only superuser calls
 * admin routes that allow it (Quay's allow_for_global_readonly_superuser, reads only) with read.
 */
export function roleRequired(principal: Principal, needed: RepoRole, readonlySuperuserReads: boolean): RepoRole {
  if (needed === "admin" && readonlySuperuserReads && principal.kind === "user" && principal.readonlySuperuser) return "read";
  return needed;
}

/** Seeing a repository at all: in listings, searches and starred lists. */
export function mayReadRepo(role: RepoRole): boolean {
  return roleAtLeast(role, "read");
}

/** API v1's `can_write`: pushing, tagging, deleting tags. */
export function mayWriteRepo(role: RepoRole): boolean {
  return roleAtLeast(role, "write");
}

/** API v1's `can_admin`: settings, permissions, notifications, visibility. */
export function mayAdminRepo(role: RepoRole): boolean {
  return roleAtLeast(role, "admin");
}

/** Making a tag immutable is a tag change (write); lifting the protection needs admin, as in Quay. */
export function mayClearTagImmutability(role: RepoRole): boolean {
  return roleAtLeast(role, "admin");
}
