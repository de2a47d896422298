// The one Elysia instance every API v1 route is registered on (paths under /api/v1, /oauth/ and
// /csrf_token: `isV1Path`). Before a route's own macros (requireRepoRead, …) and its handler,
// every request to it goes through these steps, in this order:
//   1. session: `caller` from an OAuth bearer token or the signed session cookie, and
//      saveSession / logIn / clearSession (session.ts);
//   2. rate limits per client address and per account (rateLimit.ts);
//   3. browsers must send X-Requested-With on GETs (Quay's BROWSER_API_CALLS_XHR_ONLY);
//   4. CSRF: every non-GET request not made with an OAuth token carries the session's token;
//   5. a read-only registry refuses writes (readOnlyRegistry.ts).
// They are local hooks of this instance, so they apply to every route added to it afterwards.
// Route files add their routes to this instance (`fooRoutes(api, ctx)`), never to an Elysia
// instance of their own: no plugin scoping decides which routes get a caller and CSRF, and
// `checkV1RouteTable` refuses to start with a route outside the session's paths.
import { Elysia } from "elysia";
import { SESSION_COOKIE } from "./caller";
import type { V1Context } from "./context";
import { requireXhrFromBrowsers } from "./conventions";
import { checkCsrf } from "./guards";
import { v1Macros } from "./macros";
import { takeRateToken } from "./rateLimit";
import { refuseWritesWhenReadOnly } from "./readOnlyRegistry";
import { sessionOf, v1Options } from "./session";

export function v1App(ctx: V1Context) {
  return new Elysia(v1Options(ctx, "berth-v1"))
    .derive(({ cookie, request, set }) => sessionOf(ctx, cookie[SESSION_COOKIE]!, request, set.headers))
    .onBeforeHandle(({ caller, request }) => takeRateToken(ctx, caller, request))
    .onBeforeHandle(({ request }) => requireXhrFromBrowsers(request))
    .onBeforeHandle(({ caller, request, body }) => checkCsrf(caller, request, body))
    .onBeforeHandle(({ request }) => refuseWritesWhenReadOnly(ctx, request, pathOf(request.url)))
    .macro(v1Macros(ctx));
}

/** What route files add their routes to. */
export type V1App = ReturnType<typeof v1App>;

/** The path of a request URL, without the query. */
export function pathOf(url: string): string {
  const start = url.indexOf("/", url.indexOf("//") + 2);
  const query = url.indexOf("?", start);
  return query < 0 ? url.slice(start) : url.slice(start, query);
}

/** Whether a URL (or its path) is served by API v1: the paths that use the session cookie. */
export function isV1Path(urlOrPath: string): boolean {
  const path = urlOrPath.startsWith("/") ? urlOrPath : pathOf(urlOrPath);
  return path === "/api/v1" || path.startsWith("/api/v1/") || path === "/csrf_token" || path.startsWith("/oauth/");
}

/**
 * Every route of the API v1 app lies under the session's paths: elsewhere the root app strips
 * cookies (src/app.ts), so a route there would see every caller as anonymous.
 */
export function checkV1RouteTable(routes: readonly { method: string; path: string }[]): void {
  const stray = routes.filter((r) => !isV1Path(r.path.replace(/\*$/, "")));
  if (stray.length) throw new Error(`API v1 routes outside /api/v1, /oauth/ and /csrf_token: ${stray.map((r) => `${r.method} ${r.path}`).join(", ")}`);
}
