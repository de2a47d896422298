import { Type } from "@sinclair/typebox";
import type { V1App } from "./app";
import { randomAlnum } from "../secrets";
import type { RobotDetails } from "../store/meta/robots";
import { parseBody } from "./body";
import { isSignedIn, type Caller } from "./caller";
import type { V1Context } from "./context";
import { ApiError } from "./errors";
import { orgStanding, requireUser } from "./guards";
import type { AuditFn } from "./audit";
import { isValidName } from "./fieldRules";
import { queryFlag } from "./query";
import { avatar, grantedRepoView, rfc2822 } from "./views";

const RobotBody = Type.Object({
  description: Type.Optional(Type.String({ maxLength: 255 })),
  unstructured_metadata: Type.Optional(Type.Record(Type.String(), Type.Unknown())),
});

const ROBOT_NOT_FOUND = () => new ApiError("BadRequest", "Could not find robot with specified username");

/** Robot accounts of the caller (`/user/robots`) and of organizations (`/organization/<org>/robots`). */
export function robotRoutes(api: V1App, ctx: V1Context) {
  const view = (r: RobotDetails, withToken: boolean, single: boolean) => ({
    name: r.fullName,
    created: rfc2822(r.createdMs),
    last_accessed: null,
    description: r.description ?? "",
    ...(withToken ? { token: r.token } : {}),
    ...(single ? { unstructured_metadata: {} } : {}),
  });

  /**
   * A list entry. With `permissions=true` (Quay's RobotWithPermissions) it also names the teams
   * the robot sits in and the repositories it holds a direct grant on (names within the namespace).
   */
  const listEntry = async (r: RobotDetails, namespaceId: number, opts: { token: boolean; permissions: boolean }) => ({
    ...view(r, opts.token, false),
    ...(opts.permissions
      ? {
          teams: (await ctx.stores.teams.teamsOf(namespaceId, { robotId: r.id })).map((name) => ({ name, avatar: avatar(name, "team") })),
          repositories: (await ctx.stores.permissions.reposGrantedTo({ robotId: r.id })).map((g) => grantedRepoView(g).repository.name),
        }
      : {}),
  });

  const find = async (owner: string, short: string) => {
    const robot = await ctx.stores.robots.details(`${owner}+${short}`);
    if (!robot) throw ROBOT_NOT_FOUND();
    return robot;
  };

  const create = async (owner: string, short: string, body: unknown, set: { status?: number | string }, audit: AuditFn) => {
    const b = parseBody(RobotBody, body === undefined || body === null || body === "" ? {} : body);
    if (!isValidName(short)) throw ApiError.invalidRequest("Invalid robot account name", { field: "robot_shortname" });
    const made = await ctx.stores.robots.create(owner, short, randomAlnum(64), b.description);
    if (!made) throw ApiError.invalidRequest(`Existing robot with name: ${owner}+${short}`);
    audit("create_robot", { namespace: owner }, { robot: short, description: b.description ?? "", unstructured_metadata: b.unstructured_metadata ?? {} });
    set.status = 201;
    return view(await find(owner, short), true, true);
  };

  const regenerate = async (owner: string, short: string, audit: AuditFn) => {
    const robot = await find(owner, short);
    await ctx.stores.robots.setToken(robot.id, randomAlnum(64));
    ctx.authenticator.forget(robot.fullName);
    audit("regenerate_robot_token", { namespace: owner }, { robot: short });
    return view(await find(owner, short), true, true);
  };

  const remove = async (owner: string, short: string, set: { status?: number | string }, audit: AuditFn) => {
    const robot = await find(owner, short);
    await ctx.stores.robots.delete(robot.id);
    ctx.authenticator.forget(robot.fullName);
    audit("delete_robot", { namespace: owner }, { robot: short });
    set.status = 204;
    return "";
  };

  const userNs = async (caller: Caller) => {
    const user = requireUser(caller);
    const ns = await ctx.stores.orgs.namespace(user.username);
    if (!ns) throw ApiError.notFound();
    return { owner: user.username, id: ns.id };
  };

  const permissions = async (robotId: number) => ({
    permissions: (await ctx.stores.permissions.reposGrantedTo({ robotId })).map(grantedRepoView),
  });

  const tokenWanted = (query: Record<string, string | undefined>) => queryFlag(query, "token", true);

  const self = { requireUserAdmin: true } as const;
  const admin = { requireOrgAdmin: true } as const;
  return (
    api
      // The caller's own robots.
      .get(
        "/api/v1/user/robots",
        async ({ caller, query }) => {
          const { id } = await userNs(caller);
          const opts = { token: tokenWanted(query), permissions: queryFlag(query, "permissions") };
          return { robots: await Promise.all((await ctx.stores.robots.listOf(id)).map((r) => listEntry(r, id, opts))) };
        },
        { nickname: "getUserRobots", ...self },
      )
      .get("/api/v1/user/robots/:robot_shortname", async ({ caller, params }) => view(await find((await userNs(caller)).owner, params.robot_shortname), true, true), {
        nickname: "getUserRobot",
        ...self,
      })
      .put(
        "/api/v1/user/robots/:robot_shortname",
        async ({ caller, params, body, set, audit }) => create((await userNs(caller)).owner, params.robot_shortname, body, set, audit),
        { nickname: "createUserRobot", ...self, audit: "create_robot" },
      )
      .delete(
        "/api/v1/user/robots/:robot_shortname",
        async ({ caller, params, set, audit }) => remove((await userNs(caller)).owner, params.robot_shortname, set, audit),
        { nickname: "deleteUserRobot", ...self, audit: "delete_robot" },
      )
      .post(
        "/api/v1/user/robots/:robot_shortname/regenerate",
        async ({ caller, params, audit }) => regenerate((await userNs(caller)).owner, params.robot_shortname, audit),
        { nickname: "regenerateUserRobotToken", ...self, audit: "regenerate_robot_token" },
      )
      .get(
        "/api/v1/user/robots/:robot_shortname/permissions",
        async ({ caller, params }) => permissions((await find((await userNs(caller)).owner, params.robot_shortname)).id),
        { nickname: "getUserRobotPermissions", ...self },
      )
      // Organization robots: members list them (tokens only for admins); admins manage them.
      .get(
        "/api/v1/organization/:orgname/robots",
        async ({ caller, params, query }) => {
          const s = await orgStanding(ctx, caller, params.orgname);
          if (!s.canReadAsMember) throw ApiError.unauthorized(isSignedIn(caller));
          if (!s.ns) throw ApiError.notFound();
          // Tokens for admins; permissions for admins and read-only superusers (Quay's rule).
          const opts = { token: s.isAdmin && tokenWanted(query), permissions: s.canRead && queryFlag(query, "permissions") };
          return { robots: await Promise.all((await ctx.stores.robots.listOf(s.ns.id)).map((r) => listEntry(r, s.ns!.id, opts))) };
        },
        { nickname: "getOrgRobots", requireScope: "org:admin" },
      )
      .get(
        "/api/v1/organization/:orgname/robots/:robot_shortname",
        async ({ org, params }) => view(await find(org.ns.name, params.robot_shortname), org.isAdmin, true),
        { nickname: "getOrgRobot", requireOrgAdmin: { allowForGlobalReadonlySuperuser: true } },
      )
      .get(
        "/api/v1/organization/:orgname/robots/:robot_shortname/permissions",
        async ({ org, params }) => permissions((await find(org.ns.name, params.robot_shortname)).id),
        { nickname: "getOrgRobotPermissions", requireOrgAdmin: { allowForGlobalReadonlySuperuser: true } },
      )
      .put(
        "/api/v1/organization/:orgname/robots/:robot_shortname",
        ({ org, params, body, set, audit }) => create(org.ns.name, params.robot_shortname, body, set, audit),
        { nickname: "createOrgRobot", ...admin, audit: "create_robot" },
      )
      .delete(
        "/api/v1/organization/:orgname/robots/:robot_shortname",
        ({ org, params, set, audit }) => remove(org.ns.name, params.robot_shortname, set, audit),
        { nickname: "deleteOrgRobot", ...admin, audit: "delete_robot" },
      )
      .post(
        "/api/v1/organization/:orgname/robots/:robot_shortname/regenerate",
        ({ org, params, audit }) => regenerate(org.ns.name, params.robot_shortname, audit),
        { nickname: "regenerateOrgRobotToken", ...admin, audit: "regenerate_robot_token" },
      )
  );
}
