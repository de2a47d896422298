// Superuser rules outside repositories (reference §2.12, §3.2): the superuser panel, accounts a
// panel may not touch, and what read-only superusers may not do. Pure; v1 gathers the principal.
import type { Principal } from "./roles";

/** The superuser panel: any superuser reads (read-only ones too), only a real superuser writes. */
export function maySuperuser(principal: Principal, mode: "read" | "write"): boolean {
  return principal.kind === "user" && (principal.superuser || (mode === "read" && principal.readonlySuperuser));
}

/**
 * Quay refuses to change or delete a superuser from the panel (its is_superuser: the configured
 * list; here also the flag on the account), so no superuser locks out another. Read-only
 * superusers are not protected, as in Quay.
 */
export function isProtectedSuperuser(account: { username: string; superuser: boolean }, configuredSuperusers: readonly string[]): boolean {
  return account.superuser || configuredSuperusers.includes(account.username);
}

/** Creating an organization is a write: a signed-in user may, a global read-only superuser may not. */
export function mayCreateOrganization(principal: Principal): boolean {
  return principal.kind === "user" && !principal.readonlySuperuser;
}

/**
 * Quotas are set by superusers with full access only (Quay's allow_if_superuser_with_full_access
 * on the organization quota endpoints): not by organization admins, not by read-only superusers.
 */
export function mayManageQuotas(principal: Principal, superuserFullAccess: boolean): boolean {
  return principal.kind === "user" && principal.superuser && superuserFullAccess;
}

/** Any namespace's quota is readable by global read-only superusers and superusers with full access (members read their org's). */
export function mayReadAnyQuota(principal: Principal, superuserFullAccess: boolean): boolean {
  return principal.kind === "user" && (principal.readonlySuperuser || (principal.superuser && superuserFullAccess));
}
