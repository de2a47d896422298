// Quay endpoints Berth does not offer: each answers 501 in Quay's `{"message": …}` shape, so a
// script learns at once that the feature is missing instead of guessing from a 404 ("repository
// does not exist"). This is the one list of them; they are in discovery (marked internal) like
// every other route, and test/api/v1-quay-routes.test.ts checks that every route of Quay's
// endpoints/api is either served or listed here.
import type { V1App } from "./app";
import type { V1Context } from "./context";
import { ApiError } from "./errors";

type Method = "GET" | "POST" | "PUT" | "DELETE";
/** [method, path with Quay's parameter names, Quay's nickname]. */
type Route = [Method, string, string];

const R = "/api/v1/repository/:repository";
const O = "/api/v1/organization/:orgname";

/** What is missing ("Berth does not support …") and the routes that would offer it. */
export const NOT_SUPPORTED: { what: string; routes: Route[] }[] = [
  { what: "encrypted client keys", routes: [["POST", "/api/v1/user/clientkey", "generateUserClientKey"]] },
  { what: "the collaborators view", routes: [["GET", `${O}/collaborators`, "getOrganizationCollaborators"]] },
  { what: "taking ownership of namespaces", routes: [["POST", "/api/v1/superuser/takeownership/:namespace", "takeOwnership"]] },
  { what: "security scanning", routes: [["GET", `${R}/manifest/:manifestref/security`, "getRepoManifestSecurity"]] },
  { what: "the registry capabilities report (sparse manifests, mirroring)", routes: [["GET", "/api/v1/registry/capabilities", "getRegistryCapabilities"]] },
  { what: "the configuration dump", routes: [["GET", "/api/v1/superuser/config", "getSuperUserConfig"]] },
  { what: "the change log", routes: [["GET", "/api/v1/superuser/changelog/", "getChangeLog"]] },
  { what: "listing every user's app tokens", routes: [["GET", "/api/v1/superuser/apptokens", "listAllAppTokens"]] },
  { what: "bootstrap tokens", routes: [["POST", "/api/v1/bootstrap/renew", "renewBootstrapToken"]] },
  { what: "converting users to organizations", routes: [["POST", "/api/v1/user/convert", "convertUserToOrganization"]] },
  { what: "the public application view", routes: [["GET", "/api/v1/app/:client_id", "getApplicationInformation"]] },
  {
    what: "log export",
    routes: [
      ["POST", `${R}/exportlogs`, "exportRepoLogs"],
      ["POST", "/api/v1/user/exportlogs", "exportUserLogs"],
      ["POST", `${O}/exportlogs`, "exportOrgLogs"],
    ],
  },
  {
    what: "search",
    routes: [
      ["GET", "/api/v1/find/repositories", "conductRepoSearch"],
      ["GET", "/api/v1/find/all", "conductSearch"],
    ],
  },
  {
    what: "pull statistics",
    routes: [
      ["GET", `${R}/tag/:tag/pull_statistics`, "getTagPullStatistics"],
      ["GET", `${R}/manifest/:manifestref/pull_statistics`, "getManifestPullStatistics"],
    ],
  },
  {
    what: "content trust",
    routes: [
      ["POST", `${R}/changetrust`, "changeRepoTrust"],
      ["GET", `${R}/signatures`, "getRepoSignatures"],
    ],
  },
  {
    what: "e-mail invitations and authorizations",
    routes: [
      ["PUT", `${O}/team/:teamname/invite/:email`, "inviteTeamMemberEmail"],
      ["DELETE", `${O}/team/:teamname/invite/:email`, "deleteTeamMemberEmailInvite"],
      ["PUT", "/api/v1/teaminvite/:code", "acceptOrganizationTeamInvite"],
      ["DELETE", "/api/v1/teaminvite/:code", "declineOrganizationTeamInvite"],
      ["GET", `${R}/authorizedemail/:email`, "checkRepoEmailAuthorized"],
      ["POST", `${R}/authorizedemail/:email`, "sendAuthorizeRepoEmail"],
      ["POST", "/api/v1/recovery", "requestRecoveryEmail"],
      ["POST", "/api/v1/superusers/users/:username/sendrecovery", "sendInstallUserRecoveryEmail"],
    ],
  },
  {
    what: "team synchronisation",
    routes: [
      ["POST", `${O}/team/:teamname/syncing`, "enableOrganizationTeamSync"],
      ["DELETE", `${O}/team/:teamname/syncing`, "disableOrganizationTeamSync"],
    ],
  },
  {
    what: "external logins",
    routes: [
      ["POST", "/api/v1/externallogin/:service_id", "retrieveExternalLoginAuthorizationUrl"],
      ["POST", "/api/v1/detachexternal/:service_id", "detachExternalLogin"],
      ["POST", "/api/v1/entities/link/:username", "linkExternalUser"],
    ],
  },
  {
    what: "the setup tool",
    routes: [
      ["GET", "/api/v1/superuser/registrystatus", "scRegistryStatus"],
      ["POST", "/api/v1/superuser/shutdown", "scShutdownContainer"],
    ],
  },
  {
    what: "service keys",
    routes: [
      ["GET", "/api/v1/superuser/keys", "listServiceKeys"],
      ["POST", "/api/v1/superuser/keys", "createServiceKey"],
      ["GET", "/api/v1/superuser/keys/:kid", "getServiceKey"],
      ["PUT", "/api/v1/superuser/keys/:kid", "updateServiceKey"],
      ["DELETE", "/api/v1/superuser/keys/:kid", "deleteServiceKey"],
      ["POST", "/api/v1/superuser/approvedkeys/:kid", "approveServiceKey"],
    ],
  },
  {
    what: "robot federation",
    routes: [
      ["GET", "/api/v1/user/robots/:robot_shortname/federation", "getUserRobotFederation"],
      ["POST", "/api/v1/user/robots/:robot_shortname/federation", "createUserRobotFederation"],
      ["DELETE", "/api/v1/user/robots/:robot_shortname/federation", "deleteUserRobotFederation"],
      ["GET", `${O}/robots/:robot_shortname/federation`, "getOrgRobotFederation"],
      ["POST", `${O}/robots/:robot_shortname/federation`, "createOrgRobotFederation"],
      ["DELETE", `${O}/robots/:robot_shortname/federation`, "deleteOrgRobotFederation"],
    ],
  },
  {
    what: "repository access tokens",
    routes: [
      ["GET", `${R}/tokens/`, "listRepoTokens"],
      ["POST", `${R}/tokens/`, "createToken"],
      ["GET", `${R}/tokens/:code`, "getTokens"],
      ["PUT", `${R}/tokens/:code`, "changeToken"],
      ["DELETE", `${R}/tokens/:code`, "deleteToken"],
    ],
  },
  {
    what: "organization application tokens",
    routes: [
      ["GET", `${O}/applications/:client_id/tokens`, "listOrganizationApplicationTokens"],
      ["POST", `${O}/applications/:client_id/tokens`, "createOrganizationApplicationToken"],
      ["DELETE", `${O}/applications/:client_id/tokens/:token_uuid`, "deleteOrganizationApplicationToken"],
    ],
  },
  {
    what: "namespace notifications",
    routes: [
      ["GET", `${O}/notifications`, "listOrgNotifications"],
      ["POST", `${O}/notifications`, "createOrgNotification"],
      ["GET", `${O}/notifications/:uuid`, "getOrgNotification"],
      ["DELETE", `${O}/notifications/:uuid`, "deleteOrgNotification"],
      ["POST", `${O}/notifications/:uuid`, "resetOrgNotificationFailures"],
      ["POST", `${O}/notifications/:uuid/test`, "testOrgNotification"],
      ["GET", "/api/v1/user/namespacenotifications", "listUserNamespaceNotifications"],
      ["POST", "/api/v1/user/namespacenotifications", "createUserNamespaceNotification"],
      ["GET", "/api/v1/user/namespacenotifications/:uuid", "getUserNamespaceNotification"],
      ["DELETE", "/api/v1/user/namespacenotifications/:uuid", "deleteUserNamespaceNotification"],
      ["POST", "/api/v1/user/namespacenotifications/:uuid", "resetUserNamespaceNotificationFailures"],
      ["POST", "/api/v1/user/namespacenotifications/:uuid/test", "testUserNamespaceNotification"],
    ],
  },
  {
    what: "repository mirroring health (the mirrors themselves are served)",
    routes: [
      ["GET", "/api/v1/repository/mirror/health", "getRepositoryMirrorHealth"],
      ["GET", "/api/v1/superuser/mirror/health", "getSuperUserRepositoryMirrorHealth"],
    ],
  },
  {
    what: "organization mirroring",
    routes: [
      ["GET", `${O}/mirror`, "getOrgMirrorConfig"],
      ["POST", `${O}/mirror`, "createOrgMirrorConfig"],
      ["PUT", `${O}/mirror`, "updateOrgMirrorConfig"],
      ["DELETE", `${O}/mirror`, "deleteOrgMirrorConfig"],
      ["POST", `${O}/mirror/sync-now`, "syncOrgMirrorNow"],
      ["POST", `${O}/mirror/sync-cancel`, "cancelOrgMirrorSync"],
      ["POST", `${O}/mirror/verify`, "verifyOrgMirrorConnection"],
      ["GET", `${O}/mirror/repositories`, "listOrgMirrorRepositories"],
    ],
  },
  {
    what: "builds",
    routes: [
      ["GET", `${R}/build/`, "getRepoBuilds"],
      ["POST", `${R}/build/`, "requestRepoBuild"],
      ["GET", `${R}/build/:build_uuid`, "getRepoBuild"],
      ["DELETE", `${R}/build/:build_uuid`, "cancelRepoBuild"],
      ["GET", `${R}/build/:build_uuid/status`, "getRepoBuildStatus"],
      ["GET", `${R}/build/:build_uuid/logs`, "getRepoBuildLogs"],
      ["POST", "/api/v1/filedrop/", "getFiledropUrl"],
      ["GET", `${R}/trigger/`, "listBuildTriggers"],
      ["GET", `${R}/trigger/:trigger_uuid`, "getBuildTrigger"],
      ["PUT", `${R}/trigger/:trigger_uuid`, "updateBuildTrigger"],
      ["DELETE", `${R}/trigger/:trigger_uuid`, "deleteBuildTrigger"],
      ["POST", `${R}/trigger/:trigger_uuid/subdir`, "listBuildTriggerSubdirs"],
      ["POST", `${R}/trigger/:trigger_uuid/activate`, "activateBuildTrigger"],
      ["POST", `${R}/trigger/:trigger_uuid/analyze`, "analyzeBuildTrigger"],
      ["POST", `${R}/trigger/:trigger_uuid/start`, "manuallyStartBuildTrigger"],
      ["GET", `${R}/trigger/:trigger_uuid/builds`, "listTriggerRecentBuilds"],
      ["POST", `${R}/trigger/:trigger_uuid/fields/:field_name`, "listTriggerFieldValues"],
      ["POST", `${R}/trigger/:trigger_uuid/sources`, "listTriggerBuildSources"],
      ["GET", `${R}/trigger/:trigger_uuid/namespaces`, "listTriggerBuildSourceNamespaces"],
      ["GET", "/api/v1/superuser/:build_uuid/logs", "getRepoBuildLogsSuperUser"],
      ["GET", "/api/v1/superuser/:build_uuid/logs/archive", "getRepoBuildLogsArchiveSuperUser"],
      ["GET", "/api/v1/superuser/:build_uuid/status", "getRepoBuildStatusSuperUser"],
      ["GET", "/api/v1/superuser/:build_uuid/build", "getRepoBuildSuperUser"],
    ],
  },
  {
    what: "billing",
    routes: [
      ["GET", "/api/v1/plans/", "listPlans"],
      ["GET", "/api/v1/user/private", "getUserPrivateAllowed"],
      ["GET", `${O}/private`, "getOrganizationPrivateAllowed"],
      ["GET", "/api/v1/user/card", "getUserCard"],
      ["POST", "/api/v1/user/card", "setUserCard"],
      ["GET", `${O}/card`, "getOrgCard"],
      ["POST", `${O}/card`, "setOrgCard"],
      ["GET", "/api/v1/user/plan", "getUserSubscription"],
      ["POST", "/api/v1/user/plan", "createUserSubscription"],
      ["PUT", "/api/v1/user/plan", "updateUserSubscription"],
      ["GET", `${O}/plan`, "getOrgSubscription"],
      ["POST", `${O}/plan`, "createOrgSubscription"],
      ["PUT", `${O}/plan`, "updateOrgSubscription"],
      ["GET", "/api/v1/user/invoices", "listUserInvoices"],
      ["GET", `${O}/invoices`, "listOrgInvoices"],
      ["GET", "/api/v1/user/invoice/fields", "listUserInvoiceFields"],
      ["POST", "/api/v1/user/invoice/fields", "createUserInvoiceField"],
      ["DELETE", "/api/v1/user/invoice/field/:field_uuid", "deleteUserInvoiceField"],
      ["GET", `${O}/invoice/fields`, "listOrgInvoiceFields"],
      ["POST", `${O}/invoice/fields`, "createOrgInvoiceField"],
      ["DELETE", `${O}/invoice/field/:field_uuid`, "deleteOrgInvoiceField"],
      ["GET", `${O}/marketplace`, "listOrgSkus"],
      ["POST", `${O}/marketplace`, "bindSkuToOrg"],
      ["POST", `${O}/marketplace/batchremove`, "batchRemoveSku"],
      ["DELETE", `${O}/marketplace/:subscription_id`, "removeSkuFromOrg"],
      ["GET", "/api/v1/user/marketplace", "getUserMarketplaceSubscriptions"],
    ],
  },
];

export function notSupportedRoutes(api: V1App, ctx: V1Context) {
  const app = api;
  for (const { what, routes } of NOT_SUPPORTED) {
    const refuse = () => {
      throw new ApiError("NotImplemented", `Berth does not support ${what}`);
    };
    for (const [method, path, nickname] of routes) {
      app.route(method, path, refuse, { nickname, internal: true, detail: { "x-not-supported": true } as never });
    }
  }
  return app;
}
