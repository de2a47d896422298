import { Elysia } from "elysia";
import { isValidRepoName, parseV2Path, type V2Route } from "../oci";
import { CATALOG_SCOPE, repositoryScope, type AccessDecision, type RepoAction } from "../perm/access";
import { deleteBlob, getBlob } from "./blobs";
import type { V2Context } from "./context";
import { RegistryError, registryErrorResponse, grammarError } from "./errors";
import { listCatalog, listReferrers, listTags } from "./listings";
import { deleteManifest, getManifest, putManifest } from "./manifests";
import { canonicalRepoName, jsonResponse } from "./respond";
import { issueToken } from "./tokenEndpoint";
import { ping, searchRepositories } from "./search";
import { bearerChallenge } from "../auth/serviceName";
import { appendUpload, cancelUpload, finishUpload, startUpload, uploadStatus } from "./uploads";

type Method = "GET" | "HEAD" | "PUT" | "PATCH" | "POST" | "DELETE";

/** The actions a request needs on its repository: the single place /v2 permissions are decided. */
export function requiredActions(method: Method, route: V2Route): RepoAction[] | undefined {
  const read = method === "GET" || method === "HEAD";
  switch (route.kind) {
    case "manifest":
      return read ? ["pull"] : method === "PUT" ? ["pull", "push"] : method === "DELETE" ? ["delete"] : undefined;
    case "blob":
      return read ? ["pull"] : method === "DELETE" ? ["delete"] : undefined;
    case "uploadStart":
      return method === "POST" ? ["pull", "push"] : undefined;
    case "upload":
      return method === "POST" || method === "HEAD" ? undefined : ["pull", "push"];
    case "tags":
    case "referrers":
      return read ? ["pull"] : undefined;
  }
}

/**
 * A refusal with the Bearer challenge (always 401, so clients can fetch a token with more scope).
 * A logged-in caller without the right gets `error="insufficient_scope"` and DENIED: clients then
 * say access was denied instead of asking someone logged in to authenticate.
 */
function unauthorized(ctx: V2Context, request: Request, decision: Exclude<AccessDecision, { allowed: true }>, scope?: string): RegistryError {
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
function challengeScope(repo: string, actions: RepoAction[], route: V2Route, request: Request): string {
  const own = repositoryScope(repo, actions);
  if (route.kind !== "uploadStart") return own;
  const query = new URL(request.url).searchParams;
  const from = query.get("from");
  if (!query.get("mount") || !from || !isValidRepoName(from)) return own;
  return `${own} ${repositoryScope(canonicalRepoName(from), ["pull"])}`;
}

async function dispatch(ctx: V2Context, request: Request, rest: string): Promise<Response> {
  const method = request.method as Method;
  const parsed = parseV2Path(rest);
  if (!parsed.ok) throw grammarError(parsed);
  const route = parsed.route;
  const actions = requiredActions(method, route);
  if (!actions) throw new RegistryError("UNSUPPORTED", `${method} is not supported on this path`);
  const repo = canonicalRepoName(route.repo);
  const decision = await ctx.access.check(request, repo, actions);
  if (!decision.allowed) throw unauthorized(ctx, request, decision, challengeScope(repo, actions, route, request));
  const url = new URL(request.url);
  switch (route.kind) {
    case "manifest":
      if (method === "PUT") return putManifest(ctx, request, route.repo, route.reference);
      if (method === "DELETE") return deleteManifest(ctx, request, route.repo, route.reference);
      return getManifest(ctx, request, route.repo, route.reference);
    case "blob":
      if (method === "DELETE") return deleteBlob(ctx, request, route.repo, route.digest);
      return getBlob(ctx, request, route.repo, route.digest);
    case "uploadStart":
      return startUpload(ctx, request, url, route.repo, async (from) => {
        const d = await ctx.access.check(request, canonicalRepoName(from), ["pull"]);
        return d.allowed;
      });
    case "upload":
      if (method === "PATCH") return appendUpload(ctx, request, route.repo, route.uuid);
      if (method === "PUT") return finishUpload(ctx, request, url, route.repo, route.uuid);
      if (method === "DELETE") return cancelUpload(ctx, request, route.repo, route.uuid);
      return uploadStatus(ctx, request, route.repo, route.uuid);
    case "tags":
      return listTags(ctx, url, route.repo);
    case "referrers":
      return listReferrers(ctx, url, route.repo, route.digest);
  }
}

/** Typed errors become OCI error JSON here and nowhere else. */
function guarded(ctx: V2Context, run: (request: Request) => Promise<Response>) {
  return async (request: Request): Promise<Response> => {
    try {
      return await run(request);
    } catch (err) {
      if (err instanceof RegistryError) return registryErrorResponse(err, request.method);
      ctx.log.error(`${request.method} ${new URL(request.url).pathname} failed`, err);
      return registryErrorResponse(new RegistryError("UNKNOWN", "internal server error"), request.method);
    }
  };
}

// Paths under /v2/ that are not repositories.
const OWN_ROUTES = new Set(["/v2/", "/v2/_catalog", "/v2/auth"]);

export function v2Routes(ctx: V2Context) {
  const base = guarded(ctx, async (request) => {
    const decision = await ctx.access.checkBase(request);
    if (!decision.allowed) throw unauthorized(ctx, request, decision);
    return jsonResponse({});
  });
  const catalog = guarded(ctx, async (request) => {
    const filter = await ctx.access.catalogFilter(request);
    if (!filter.allowed) throw unauthorized(ctx, request, filter, CATALOG_SCOPE);
    return listCatalog(ctx, new URL(request.url), filter.canSee);
  });
  const token = guarded(ctx, (request) => issueToken(ctx, request));
  const search = guarded(ctx, (request) => searchRepositories(ctx, request));
  const repository = guarded(ctx, (request) => {
    const path = request.url.slice(request.url.indexOf("/", 8)).split("?")[0]!;
    return dispatch(ctx, request, path.slice(4));
  });
  return (
    new Elysia({ name: "berth-v2" })
      // Every /v2/<name>/… request is dispatched here, before Elysia's router: names hold
      // slashes (so it would be one wildcard route anyway, parsed by our grammar); Elysia answers
      // HEAD on wildcard routes by running GET and reading the whole body to count it (a
      // multi-GB blob read for nothing); and its per-request path encoding was ~15 % of a
      // manifest GET. Bodies stay unread until the handler streams them.
      .onRequest(({ request }) => {
        const url = request.url;
        const pathStart = url.indexOf("/", 8);
        if (!url.startsWith("/v2/", pathStart)) return;
        const query = url.indexOf("?", pathStart);
        if (OWN_ROUTES.has(query < 0 ? url.slice(pathStart) : url.slice(pathStart, query))) return;
        return repository(request);
      })
      .get("/v2", ({ request }) => base(request))
      .get("/v2/", ({ request }) => base(request))
      .get("/v2/_catalog", ({ request }) => catalog(request))
      .get("/v2/auth", ({ request }) => token(request))
      // The Docker registry search API (`docker search`), beside /v2 as on Quay.
      .get("/v1/_ping", () => ping())
      .get("/v1/search", ({ request }) => search(request))
  );
}
