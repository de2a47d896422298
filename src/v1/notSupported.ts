// Quay endpoints Berth does not offer (the reference's "rare" rows): each answers 501 in Quay's
// `{"message": …}` shape, so a script learns at once that the feature is missing instead of
// guessing from a 404. They are in discovery (marked internal) like every other route.
import { Elysia } from "elysia";
import type { V1Context } from "./context";
import { ApiError } from "./errors";
import { v1Plugin } from "./macros";
import { v1Options } from "./session";

type Method = "GET" | "POST" | "PUT" | "DELETE";

/** [method, path, Quay's nickname, what is missing]. */
const NOT_SUPPORTED: [Method, string, string, string][] = [
  ["POST", "/api/v1/user/clientkey", "generateUserClientKey", "encrypted client keys"],
  ["GET", "/api/v1/organization/:orgname/collaborators", "getOrganizationCollaborators", "the collaborators view"],
  ["PUT", "/api/v1/organization/:orgname/team/:teamname/invite/:email", "inviteTeamMemberEmail", "e-mail invitations"],
  ["POST", "/api/v1/organization/:orgname/team/:teamname/syncing", "enableOrganizationTeamSync", "team synchronisation"],
  ["PUT", "/api/v1/repository/:repository/changestate", "changeRepoState", "repository mirroring states"],
  ["POST", "/api/v1/repository/:repository/changetrust", "changeRepoTrust", "content trust"],
  ["POST", "/api/v1/repository/:repository/tag/:tag/expire", "expireRepoTag", "permanent tag deletion"],
  ["GET", "/api/v1/repository/:repository/manifest/:manifestref/security", "getRepoManifestSecurity", "security scanning"],
  ["POST", "/api/v1/repository/:repository/exportlogs", "exportRepoLogs", "log export"],
  ["POST", "/api/v1/user/exportlogs", "exportUserLogs", "log export"],
  ["POST", "/api/v1/organization/:orgname/exportlogs", "exportOrgLogs", "log export"],
  ["GET", "/api/v1/superuser/keys", "listServiceKeys", "service keys"],
  ["POST", "/api/v1/superuser/takeownership/:namespace", "takeOwnership", "taking ownership of namespaces"],
  ["GET", "/api/v1/find/repositories", "conductRepoSearch", "search"],
  ["GET", "/api/v1/organization/:orgname/quota", "listOrganizationQuota", "quotas"],
  ["GET", "/api/v1/repository/:repository/mirror", "getRepoMirrorConfig", "repository mirroring"],
  ["GET", "/api/v1/repository/:repository/build/", "getRepoBuilds", "builds"],
];

export function notSupportedRoutes(ctx: V1Context) {
  const app = new Elysia(v1Options(ctx, "berth-v1-not-supported")).use(v1Plugin(ctx));
  for (const [method, path, nickname, what] of NOT_SUPPORTED) {
    const refuse = () => {
      throw new ApiError(501, "not_implemented", `Berth does not support ${what}`, "message");
    };
    app.route(method, path, refuse, { nickname, internal: true, detail: { "x-not-supported": true } as never });
  }
  return app;
}
