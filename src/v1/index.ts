import { Elysia } from "elysia";
import type { V1Context } from "./context";
import { ApiError, apiErrorResponse } from "./errors";
import { oauthApplicationRoutes } from "./oauthApplication";
import { oauthAuthorizeRoutes } from "./oauthAuthorize";
import { logRoutes } from "./logs";
import { notSupportedRoutes } from "./notSupported";
import { starRoutes } from "./star";
import { organizationRoutes } from "./organization";
import { repositoryRoutes } from "./repository";
import { robotRoutes } from "./robot";
import { SESSION_COOKIE } from "./caller";
import { signinRoutes } from "./signin";
import { conventionRoutes } from "./conventions";
import { discoveryRoutes, type RouteEntry } from "./discovery";
import { permissionRoutes } from "./permission";
import { tagRoutes } from "./tag";
import { manifestRoutes } from "./manifest";
import { prototypeRoutes } from "./prototype";
import { notificationRoutes } from "./notification";
import { teamRoutes } from "./team";
import { v1Options } from "./session";
import { userRoutes } from "./user";
import { userInitializeRoutes } from "./userInitialize";
import { appTokenRoutes } from "./appToken";
import { superuserRoutes } from "./superuser";
import { superuserOrgRoutes } from "./superuserOrgs";
import { entityRoutes } from "./entities";
import { webConfigRoutes } from "./webConfig";
import { globalMessageRoutes } from "./globalMessages";
import { userNotificationRoutes } from "./userNotifications";
import { userAuthorizationRoutes } from "./userAuthorizations";
import { registrySizeRoutes } from "./registrySize";

export const NO_SUCH_ROUTE = "The requested URL was not found on the server.";

/** Whether a URL is served by API v1 (the paths that use the session cookie). */
export function isV1Path(url: string): boolean {
  const start = url.indexOf("/", url.indexOf("//") + 2);
  const query = url.indexOf("?", start);
  const path = query < 0 ? url.slice(start) : url.slice(start, query);
  return path === "/api/v1" || path.startsWith("/api/v1/") || path === "/csrf_token" || path.startsWith("/oauth/");
}

/** The Quay-compatible REST API: one route file per resource family. */
export function v1Routes(ctx: V1Context) {
  const api = (
    new Elysia(v1Options(ctx, "berth-v1"))
      // Typed errors become Quay's error bodies here and nowhere else. Global, so that paths no
      // route matches (NOT_FOUND is raised by the root app) get the same shape under /api/v1.
      .onError({ as: "global" }, ({ error, code, request }) => {
        if (!isV1Path(request.url)) return;
        if (error instanceof ApiError) return apiErrorResponse(error, request, ctx.config);
        if (code === "INVALID_COOKIE_SIGNATURE") {
          // A session cookie signed by a secret we no longer hold: drop it, sign in again.
          const res = apiErrorResponse(new ApiError("InvalidToken", "Invalid session; sign in again"), request, ctx.config);
          res.headers.append("Set-Cookie", `${SESSION_COOKIE}=; Path=/; Max-Age=0; HttpOnly; SameSite=Lax`);
          return res;
        }
        if (code === "PARSE") return apiErrorResponse(ApiError.invalidRequest("Malformed JSON body"), request, ctx.config);
        // A path no route serves (distinct from a resource that does not exist).
        if (code === "NOT_FOUND") return apiErrorResponse(ApiError.notFound(NO_SUCH_ROUTE), request, ctx.config);
        ctx.log.error(`${request.method} ${new URL(request.url).pathname} failed`, error);
        return apiErrorResponse(new ApiError("InternalError"), request, ctx.config);
      })
      .use(conventionRoutes(ctx))
      .use(signinRoutes(ctx))
      .use(userRoutes(ctx))
      .use(userInitializeRoutes(ctx))
      .use(repositoryRoutes(ctx))
      .use(tagRoutes(ctx))
      .use(manifestRoutes(ctx))
      .use(prototypeRoutes(ctx))
      .use(notificationRoutes(ctx))
      .use(permissionRoutes(ctx))
      .use(organizationRoutes(ctx))
      .use(teamRoutes(ctx))
      .use(robotRoutes(ctx))
      .use(oauthApplicationRoutes(ctx))
      .use(oauthAuthorizeRoutes(ctx))
      .use(appTokenRoutes(ctx))
      .use(superuserRoutes(ctx))
      .use(superuserOrgRoutes(ctx))
      .use(entityRoutes(ctx))
      .use(webConfigRoutes(ctx))
      .use(logRoutes(ctx))
      .use(starRoutes(ctx))
      .use(globalMessageRoutes(ctx))
      .use(userNotificationRoutes(ctx))
      .use(userAuthorizationRoutes(ctx))
      .use(registrySizeRoutes(ctx))
      .use(notSupportedRoutes(ctx))
      .use(discoveryRoutes(ctx, (): RouteEntry[] => api.routes))
  );
  return api;
}
