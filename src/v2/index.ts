// How a registry-protocol request is routed: the root app's front door (src/app.ts) hands every
// request to `registryRouter` before Elysia's router, and the routes of routes.ts answer it. Not
// Elysia routes, for measured reasons: repository names hold slashes (one wildcard route parsed
// by our grammar anyway), Elysia answers HEAD on a wildcard route by running GET and reading the
// whole body to count it (a multi-GB blob read for nothing), and its per-request work was ~15 % of
// a manifest GET. Bodies stay unread until a handler streams them.
import { parseV2Path, type ParseV2PathResult, type V2Route } from "../oci";
import type { V2Context } from "./context";
import { grammarError, refusalError, RegistryError, registryErrorResponse } from "./errors";
import { takeRateToken } from "./rateLimit";
import { challengeScope, unauthorized } from "./refusal";
import { canonicalRepoName } from "./respond";
import { PATHS, repositoryRoute, type RepositoryRoute } from "./routes";
import { cacheIsReadOnly } from "./proxyCache";

export { REPOSITORY_ROUTES } from "./routes";

/** Typed errors become OCI error JSON here and nowhere else. */
function guarded(ctx: V2Context, request: Request, run: () => Response | Promise<Response>): Response | Promise<Response> {
  try {
    const answer = run();
    // A synchronous answer (a pull) needs no promise; a promise's failure is caught the same way.
    return answer instanceof Promise ? answer.catch((err) => failure(ctx, request, err)) : answer;
  } catch (err) {
    return failure(ctx, request, err);
  }
}

function failure(ctx: V2Context, request: Request, err: unknown): Response {
  if (err instanceof RegistryError) return registryErrorResponse(err, request.method);
  ctx.log.error(`${request.method} ${new URL(request.url).pathname} failed`, err);
  return registryErrorResponse(new RegistryError("UNKNOWN", "internal server error"), request.method);
}

// Clients ask for the same few paths over and over (a tag's manifest, its blobs): parsing is a
// pure function of the path, so results are remembered. Per node, bounded (cleared when full).
const parsedPaths = new Map<string, ParseV2PathResult & { canonical?: string }>();
const MAX_PARSED_PATHS = 4096;

function parsedPath(rest: string): ParseV2PathResult & { canonical?: string } {
  let parsed = parsedPaths.get(rest);
  if (!parsed) {
    const result = parseV2Path(rest);
    parsed = result.ok ? { ...result, canonical: canonicalRepoName(result.route.repo) } : result;
    if (parsedPaths.size >= MAX_PARSED_PATHS) parsedPaths.clear();
    parsedPaths.set(rest, parsed);
  }
  return parsed;
}

/** /v2/<name>/<endpoint>: parse, find the route, check the caller's actions, run the handler. */
function repositoryRequest(ctx: V2Context, request: Request, rest: string): Response | Promise<Response> {
  const method = request.method;
  const parsed = parsedPath(rest);
  if (!parsed.ok) throw grammarError(parsed);
  const route = repositoryRoute(method, parsed.route);
  if (!route) throw new RegistryError("UNSUPPORTED", `${method} is not supported on this path`);
  const repo = parsed.canonical!;
  const write = method !== "GET" && method !== "HEAD";
  // Rate limits: reads only when switched on, so the manifest GET path stays synchronous.
  const limitClass = write ? "v2Write" : "read";
  if (ctx.limits.on(limitClass)) return limitedRequest(ctx, request, route, parsed.route, repo, limitClass);
  const decided = ctx.access.check(request, repo, route.actions);
  if (decided instanceof Promise) {
    return decided.then((decision) => {
      if (!decision.allowed) throw unauthorized(ctx, request, decision, challengeScope(repo, route.actions, parsed.route, request));
      return write ? refuseWrite(ctx, repo).then(() => route.handle(ctx, request, parsed.route)) : route.handle(ctx, request, parsed.route);
    });
  }
  if (!decided.allowed) throw unauthorized(ctx, request, decided, challengeScope(repo, route.actions, parsed.route, request));
  // A read goes on at once (the manifest GET path stays synchronous); a write is checked first.
  return write ? refuseWrite(ctx, repo).then(() => route.handle(ctx, request, parsed.route)) : route.handle(ctx, request, parsed.route);
}

/**
 * Quay's check_readonly, after the permission check as there: upload bytes (PATCH) reach no
 * registry operation, so a read-only registry refuses every write here; the operations' guard
 * (registryWritable) refuses the same for every other caller. A proxy-cache organization holds
 * only what its upstream has: no client writes into it (checked before a body is read).
 */
async function refuseWrite(ctx: V2Context, repo: string): Promise<void> {
  if (ctx.registry.readOnly) throw refusalError({ kind: "registryReadOnly" });
  if (await ctx.proxyCaches?.pulls.isCache(repo.slice(0, repo.indexOf("/")))) throw cacheIsReadOnly(repo);
}

/** The same, rate limited: the address is charged before the token is checked, the account after. */
async function limitedRequest(
  ctx: V2Context,
  request: Request,
  route: RepositoryRoute,
  path: V2Route,
  repo: string,
  limitClass: "read" | "v2Write",
): Promise<Response> {
  await takeRateToken(ctx, limitClass, request);
  const decision = await ctx.access.check(request, repo, route.actions);
  if (!decision.allowed) throw unauthorized(ctx, request, decision, challengeScope(repo, route.actions, path, request));
  const subject = ctx.access.verifiedSubject(request);
  if (subject) await takeRateToken(ctx, limitClass, request, subject);
  if (limitClass === "v2Write") await refuseWrite(ctx, repo);
  return route.handle(ctx, request, path);
}

/**
 * The answer for a registry-protocol request (`path`: the URL's path, without the query), or
 * undefined when the path is not one: then the root app's router goes on (a fixed path asked
 * with a method it does not serve gets the router's 404, as any unknown route).
 */
export function registryRouter(ctx: V2Context): (request: Request, path: string) => Response | Promise<Response> | undefined {
  return (request, path) => {
    const fixed = PATHS.get(path);
    if (fixed) {
      if (request.method === "GET") return guarded(ctx, request, () => fixed(ctx, request));
      if (request.method === "HEAD") return Promise.resolve(guarded(ctx, request, () => fixed(ctx, request))).then((res) => new Response(null, res));
      return undefined;
    }
    if (path.startsWith("/v2/")) return guarded(ctx, request, () => repositoryRequest(ctx, request, path.slice(4)));
    return undefined;
  };
}
