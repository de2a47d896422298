// How /v2 refuses a caller: always 401 with a Bearer challenge, so clients can fetch a token with
// more scope.
import { bearerChallenge } from "../auth/serviceName";
import { isValidRepoName, type V2Route } from "../oci";
import { repositoryScope, type AccessDecision, type RepoAction } from "../perm/access";
import type { V2Context } from "./context";
import { RegistryError } from "./errors";
import { canonicalRepoName } from "./respond";

/**
 * A refusal with the Bearer challenge. A logged-in caller without the right gets
 * `error="insufficient_scope"` and DENIED: clients then say access was denied instead of asking
 * someone logged in to authenticate.
 */
export function unauthorized(ctx: V2Context, request: Request, decision: Exclude<AccessDecision, { allowed: true }>, scope?: string): RegistryError {
  const denied = decision.reason === "insufficient";
  return new RegistryError(denied ? "INSUFFICIENT_SCOPE" : "UNAUTHORIZED", decision.message, scope ? { scope } : {}, {
    "WWW-Authenticate": bearerChallenge(ctx.config, request, scope, denied),
  });
}

/**
 * The scopes a refused request is challenged for. A cross-repository mount also asks to pull the
 * source (as Distribution does), so a client that follows the challenge gets a token the mount
 * can use instead of falling back to an upload.
 */
export function challengeScope(repo: string, actions: RepoAction[], route: V2Route, request: Request): string {
  const own = repositoryScope(repo, actions);
  if (route.kind !== "uploadStart") return own;
  const query = new URL(request.url).searchParams;
  const from = query.get("from");
  if (!query.get("mount") || !from || !isValidRepoName(from)) return own;
  return `${own} ${repositoryScope(canonicalRepoName(from), ["pull"])}`;
}
