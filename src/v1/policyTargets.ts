// Whose policies a route manages (auto-prune and immutability policies): a user's own namespace,
// an organization's (or a user's, by its name) or one repository's, as the store scopes them and
// the audit log names them.
import type { PolicyScope } from "../store/meta/policyScope";
import type { AuditTarget } from "./audit";
import type { V1Context } from "./context";
import { ApiError } from "./errors";

export interface PolicyTarget {
  scope: PolicyScope;
  audit: AuditTarget;
  /** A repository's policies (Quay's repository kinds and messages) rather than a namespace's. */
  repository: boolean;
}

export function namespaceTarget(ns: { id: number; name: string }): PolicyTarget {
  return { scope: { namespaceId: ns.id, repositoryId: null }, audit: { namespace: ns.name }, repository: false };
}

/** The signed-in user's own namespace (`/user/...` routes). */
export async function userTarget(ctx: V1Context, user: { username: string }): Promise<PolicyTarget> {
  const ns = await ctx.stores.orgs.namespace(user.username);
  if (!ns) throw ApiError.notFound();
  return namespaceTarget({ id: ns.id, name: user.username });
}

/** A repository the route's guard resolved (it exists: the guard answered 404 otherwise). */
export async function repoTarget(ctx: V1Context, repo: { repo: string; repoId?: number }): Promise<PolicyTarget> {
  const ns = await ctx.stores.orgs.namespace(repo.repo.slice(0, repo.repo.indexOf("/")));
  if (!ns || repo.repoId === undefined) throw ApiError.notFound();
  return { scope: { namespaceId: ns.id, repositoryId: repo.repoId }, audit: { repo: { id: repo.repoId, name: repo.repo } }, repository: true };
}
