// How a registry-protocol request is routed: the root app's front door (src/app.ts) hands every
// request to `registryRouter` before Elysia's router, and the routes of routes.ts answer it. Not
// Elysia routes, for measured reasons: repository names hold slashes (one wildcard route parsed
// by our grammar anyway), Elysia answers HEAD on a wildcard route by running GET and reading the
// whole body to count it (a multi-GB blob read for nothing), and its per-request work was ~15 % of
// a manifest GET. Bodies stay unread until a handler streams them.
import { parseV2Path } from "../oci";
import type { V2Context } from "./context";
import { grammarError, refusalError, RegistryError, registryErrorResponse } from "./errors";
import { takeRateToken } from "./rateLimit";
import { challengeScope, unauthorized } from "./refusal";
import { canonicalRepoName } from "./respond";
import { PATHS, repositoryRoute } from "./routes";
import { cacheIsReadOnly } from "./proxyCache";

export { REPOSITORY_ROUTES } from "./routes";

/** Typed errors become OCI error JSON here and nowhere else. */
async function guarded(ctx: V2Context, request: Request, run: () => Promise<Response>): Promise<Response> {
  try {
    return await run();
  } catch (err) {
    if (err instanceof RegistryError) return registryErrorResponse(err, request.method);
    ctx.log.error(`${request.method} ${new URL(request.url).pathname} failed`, err);
    return registryErrorResponse(new RegistryError("UNKNOWN", "internal server error"), request.method);
  }
}

/** /v2/<name>/<endpoint>: parse, find the route, check the caller's actions, run the handler. */
async function repositoryRequest(ctx: V2Context, request: Request, rest: string): Promise<Response> {
  const method = request.method;
  const parsed = parseV2Path(rest);
  if (!parsed.ok) throw grammarError(parsed);
  const route = repositoryRoute(method, parsed.route);
  if (!route) throw new RegistryError("UNSUPPORTED", `${method} is not supported on this path`);
  const repo = canonicalRepoName(parsed.route.repo);
  // Rate limits: reads only when switched on (the manifest GET path then skips the await).
  const limitClass = method === "GET" || method === "HEAD" ? "read" : "v2Write";
  const limited = ctx.limits.on(limitClass);
  if (limited) await takeRateToken(ctx, limitClass, request);
  const decision = await ctx.access.check(request, repo, route.actions);
  if (!decision.allowed) throw unauthorized(ctx, request, decision, challengeScope(repo, route.actions, parsed.route, request));
  const subject = limited ? ctx.access.verifiedSubject(request) : undefined;
  if (subject) await takeRateToken(ctx, limitClass, request, subject);
  // Quay's check_readonly, after the permission check as there: upload bytes (PATCH) reach no
  // registry operation, so a read-only registry refuses every write here; the operations'
  // guard (registryWritable) refuses the same for every other caller.
  if (ctx.registry.readOnly && method !== "GET" && method !== "HEAD") throw refusalError({ kind: "registryReadOnly" });
  // A proxy-cache organization holds only what its upstream has: no client writes into it.
  if (method !== "GET" && method !== "HEAD" && ctx.proxyCaches?.pulls.isCache(repo.slice(0, repo.indexOf("/")))) throw cacheIsReadOnly(repo);
  return route.handle(ctx, request, parsed.route);
}

/**
 * The answer for a registry-protocol request (`path`: the URL's path, without the query), or
 * undefined when the path is not one: then the root app's router goes on (a fixed path asked
 * with a method it does not serve gets the router's 404, as any unknown route).
 */
export function registryRouter(ctx: V2Context): (request: Request, path: string) => Promise<Response> | undefined {
  return (request, path) => {
    const fixed = PATHS.get(path);
    if (fixed) {
      if (request.method === "GET") return guarded(ctx, request, () => fixed(ctx, request));
      if (request.method === "HEAD") return guarded(ctx, request, () => fixed(ctx, request)).then((res) => new Response(null, res));
      return undefined;
    }
    if (path.startsWith("/v2/")) return guarded(ctx, request, () => repositoryRequest(ctx, request, path.slice(4)));
    return undefined;
  };
}
