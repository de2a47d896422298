// A caller that logged in at /v2/auth with an OAuth token ($oauthtoken) stands where its user
// stands, lowered to what the token's scopes allow (Quay's QuayDeferredPermissionUser with the
// token's scope set): repo:read caps at read (pull), repo:write at write (push), repo:admin at
// admin ("*"); creating a repository by pushing needs repo:create or org:admin, and superuser
// powers need super:user (applied where the principal is built). A token without repo scopes
// can read only public repositories, as anyone can.

import type { OAuthScope } from "../auth/oauthScopeNames";
import { capRepoRole, mayCreateRepos } from "./oauthScopes";
import type { RepoStanding } from "./repoRoles";
import { maxRole } from "./roles";

export function capStandingToScopes(standing: RepoStanding, scopes: readonly OAuthScope[], isPublic: boolean): RepoStanding {
  const grantedRole = capRepoRole(standing.grantedRole, scopes);
  const canCreateInNamespace = standing.canCreateInNamespace && mayCreateRepos(scopes);
  return {
    ...standing,
    grantedRole,
    role: maxRole(grantedRole, isPublic ? "read" : "none"),
    canCreateInNamespace,
    canCreate: standing.canCreate && canCreateInNamespace,
  };
}
