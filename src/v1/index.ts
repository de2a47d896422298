import { checkV1RouteTable, isV1Path, pathOf, v1App } from "./app";
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
import { mirrorRoutes } from "./mirror";
import { proxyCacheRoutes } from "./proxyCache";
import { teamRoutes } from "./team";
import { userRoutes } from "./user";
import { userInitializeRoutes } from "./userInitialize";
import { appTokenRoutes } from "./appToken";
import { superuserRoutes } from "./superuser";
import { superuserOrgRoutes } from "./superuserOrgs";
import { entityRoutes } from "./entities";
import { globalMessageRoutes } from "./globalMessages";
import { userNotificationRoutes } from "./userNotifications";
import { userAuthorizationRoutes } from "./userAuthorizations";
import { registrySizeRoutes } from "./registrySize";
import { autoPrunePolicyRoutes } from "./autoPrunePolicy";
import { immutabilityPolicyRoutes } from "./immutabilityPolicy";
import { quotaRoutes } from "./quota";
import { superuserQuotaRoutes } from "./superuserQuota";

export const NO_SUCH_ROUTE = "The requested URL was not found on the server.";

export { isV1Path, pathOf };
export { webConfigRoutes } from "./webConfig";

/** The Quay-compatible REST API: one route file per resource family, all on the one API v1 app. */
export function v1Routes(ctx: V1Context) {
  const api = v1App(ctx);
  api
    // Typed errors become Quay's error bodies here and nowhere else. Global, so that paths no
    // route matches (NOT_FOUND is raised by the root app) get the same shape under API v1.
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
      ctx.log.error(`${request.method} ${pathOf(request.url)} failed`, error);
      return apiErrorResponse(new ApiError("InternalError"), request, ctx.config);
    });
  conventionRoutes(api);
  signinRoutes(api, ctx);
  userRoutes(api, ctx);
  userInitializeRoutes(api, ctx);
  repositoryRoutes(api, ctx);
  tagRoutes(api, ctx);
  manifestRoutes(api, ctx);
  prototypeRoutes(api, ctx);
  notificationRoutes(api, ctx);
  mirrorRoutes(api, ctx);
  proxyCacheRoutes(api, ctx);
  permissionRoutes(api, ctx);
  organizationRoutes(api, ctx);
  teamRoutes(api, ctx);
  robotRoutes(api, ctx);
  oauthApplicationRoutes(api, ctx);
  oauthAuthorizeRoutes(api, ctx);
  appTokenRoutes(api, ctx);
  superuserRoutes(api, ctx);
  superuserOrgRoutes(api, ctx);
  entityRoutes(api, ctx);
  logRoutes(api, ctx);
  starRoutes(api, ctx);
  globalMessageRoutes(api, ctx);
  userNotificationRoutes(api, ctx);
  userAuthorizationRoutes(api, ctx);
  registrySizeRoutes(api, ctx);
  autoPrunePolicyRoutes(api, ctx);
  immutabilityPolicyRoutes(api, ctx);
  quotaRoutes(api, ctx);
  superuserQuotaRoutes(api, ctx);
  notSupportedRoutes(api, ctx);
  discoveryRoutes(api, ctx, (): RouteEntry[] => api.routes);
  checkV1RouteTable(api.routes);
  return api;
}
