import { clientAddress } from "../auth/clientAddress";
import { parseBasicCredentials } from "../auth/basicCredentials";
import { accountOf, ANONYMOUS, identityContext, identityName, subjectOf, type Identity } from "../auth/identity";
import { serviceFor } from "../auth/serviceName";
import { grantedActions } from "../perm/roles";
import { parseScopes } from "../perm/scope";
import type { TokenAuth, V2Context } from "./context";
import { RegistryError } from "./errors";
import { jsonResponse } from "./respond";
import { identityActor } from "./actor";
import { takeRateToken } from "./rateLimit";
import { noteCaller } from "../requestNotes";

/**
 * GET /v2/auth: Basic credentials (password, robot token, `$app` token) or none become a JWT
 * whose `access` lists what the caller may do. Actions the caller may not have are dropped, not
 * refused; a push to a missing repository creates it when the caller may create there. A
 * read-only registry still grants what the caller's roles allow (as Quay): its writes are then
 * refused with Quay's read-only error, not as a missing scope.
 */
export async function issueToken(ctx: V2Context, request: Request): Promise<Response> {
  const auth = ctx.auth;
  if (!auth) throw new RegistryError("NOT_FOUND", "token auth is off on this registry (--auth none)");
  const url = new URL(request.url);
  await takeRateToken(ctx, "auth", request);
  const identity = await authenticate(auth, request);
  const subject = subjectOf(identity);
  if (subject) await takeRateToken(ctx, "auth", request, subject);
  if (identity.kind !== "anonymous") noteCaller(request, identityName(identity));
  const scopeValues = url.searchParams.getAll("scope");
  if (identity.kind === "anonymous" && !scopeValues.some((v) => v.trim() !== "")) {
    // `docker login` without credentials.
    throw new RegistryError("UNAUTHORIZED", "credentials required", {});
  }
  // A scope may name this registry in front of the repository: as the client addressed us.
  const service = url.searchParams.get("service") || serviceFor(ctx.config, request);
  const parsed = parseScopes(scopeValues, [service, serviceFor(ctx.config, request)]);
  if (!parsed.ok) throw new RegistryError("INVALID_REQUEST", parsed.message);

  const access: { type: string; name: string; actions: string[] }[] = [];
  for (const scope of parsed.scopes) {
    if (scope.type === "registry") {
      if (identity.kind !== "anonymous") access.push({ type: "registry", name: "catalog", actions: ["*"] });
      continue;
    }
    let standing = await auth.roles.standing(identity, scope.name);
    // A read-only registry creates nothing: the push that follows is refused as Quay refuses it.
    if (scope.actions.includes("push") && !standing.exists && standing.canCreate && !ctx.registry.readOnly) {
      await createRepository(ctx, identity, standing.repo, request);
      standing = await auth.roles.standing(identity, scope.name);
    }
    const actions = grantedActions(scope.actions, standing.role, standing.canCreate, standing.exists);
    access.push({ type: "repository", name: standing.repo, actions });
  }
  const issued = await auth.tokens.issue({
    subject: identityName(identity),
    audience: service,
    access,
    context: identityContext(identity),
  });
  return jsonResponse(
    { token: issued.token, access_token: issued.token, expires_in: issued.expiresIn, issued_at: issued.issuedAt },
    200,
    { "Cache-Control": "no-cache, no-store, must-revalidate" },
  );
}

/** Basic credentials (password, robot token, `$app` code) or none (ANONYMOUS); wrong ones throw 401, a throttled caller 429. */
export async function authenticate(auth: TokenAuth, request: Request): Promise<Identity> {
  const creds = parseBasicCredentials(request.headers.get("authorization"));
  if (creds === undefined) return ANONYMOUS;
  if (creds === "malformed") throw new RegistryError("UNAUTHORIZED", "malformed Basic credentials", {});
  const outcome = await auth.authenticator.authenticate(creds.username, creds.secret, clientAddress(request));
  if (outcome.ok) return outcome.identity;
  if (outcome.reason === "throttled") {
    throw new RegistryError("TOOMANYREQUESTS", `too many failed logins; retry in ${outcome.retryAfterSeconds} s`,
      { retryAfter: outcome.retryAfterSeconds }, { "Retry-After": String(outcome.retryAfterSeconds) });
  }
  throw new RegistryError("UNAUTHORIZED", outcome.message, {});
}

/**
 * A repository created by a push: private, its creator gets admin on it and, in an
 * organization, the org's default permissions apply (as in Quay).
 */
async function createRepository(ctx: V2Context, identity: Identity, repo: string, request: Request): Promise<void> {
  const namespace = repo.slice(0, repo.indexOf("/"));
  if (!(await ctx.stores.orgs.namespace(namespace)) && identity.kind === "user") {
    // Full-access superusers may push into a namespace that does not exist yet: it becomes an
    // organization they own.
    await ctx.stores.orgs.create(namespace, identity.user.id);
  }
  // Asked before the write: role resolution is asynchronous, the registry's transaction is not yet.
  const mayCreate = (await ctx.auth!.roles.standing(identity, repo)).canCreateInNamespace;
  const made = await ctx.registry.createRepository({
    fullName: repo,
    visibility: "private",
    creator: accountOf(identity),
    mayCreate: () => mayCreate,
    actor: identityActor(identity, request),
  });
  if (made.kind === "ok") ctx.log.info(`created repository ${repo} for ${identityName(identity)}`);
}
