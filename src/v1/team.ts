import { Type } from "@sinclair/typebox";
import type { V1App } from "./app";
import { mayListTeamMembers } from "../perm/orgStanding";
import type { Member } from "../store/meta/teams";
import { parseBody } from "./body";
import { isSignedIn, type Caller } from "./caller";
import type { V1Context } from "./context";
import { ApiError } from "./errors";
import { orgStanding } from "./guards";
import { principalByName } from "./principals";
import { isValidName } from "./fieldRules";
import { teamView } from "./organization";
import { avatar, grantedRepoView } from "./views";

const TeamBody = Type.Object({
  role: Type.Union([Type.Literal("member"), Type.Literal("creator"), Type.Literal("admin")]),
  description: Type.Optional(Type.String({ maxLength: 4096 })),
});

/** Teams of an organization and their members (users, and robots of the org). */
export function teamRoutes(api: V1App, ctx: V1Context) {
  const findTeam = async (nsId: number, name: string) => {
    const team = (await ctx.stores.teams.teams(nsId)).find((t) => t.name === name);
    if (!team) throw ApiError.notFound();
    return team;
  };

  /** A user name, or `org+short` for a robot of this org; 400 otherwise (Quay's wording). */
  const resolveMember = async (org: string, name: string): Promise<{ member: Member; isRobot: boolean; email: string | null }> => {
    const found = await principalByName(ctx, name);
    if (!found) throw ApiError.invalidRequest("Unknown user");
    if (found.kind === "user") return { member: found.member, isRobot: false, email: found.user.email };
    if (found.robot.owner !== org) throw ApiError.invalidRequest("Cannot add robot from another namespace");
    return { member: found.member, isRobot: true, email: null };
  };

  const memberView = (name: string, isRobot: boolean, email: string | null) => ({
    name,
    kind: "user",
    is_robot: isRobot,
    avatar: avatar(name, isRobot ? "robot" : "user", email),
    invited: false,
  });

  return api
    .put(
      "/api/v1/organization/:orgname/team/:teamname",
      async ({ org: { ns }, params, body, audit }) => {
        const b = parseBody(TeamBody, body);
        if (!isValidName(params.teamname)) throw ApiError.invalidRequest("Invalid team name", { field: "name" });
        const existing = await ctx.stores.teams.team(ns.id, params.teamname);
        if (params.teamname === "owners" && b.role !== "admin") throw ApiError.invalidRequest("The owners team must keep the admin role", { field: "role" });
        await ctx.stores.teams.setTeam(ns.id, params.teamname, b.role, b.description);
        const team = await findTeam(ns.id, params.teamname);
        const target = { namespace: ns.name };
        if (!existing) audit("org_create_team", target, { team: params.teamname });
        else if (existing.role !== b.role) audit("org_set_team_role", target, { team: params.teamname, role: b.role });
        if (existing && b.description !== undefined) audit("org_set_team_description", target, { team: params.teamname, description: b.description });
        return { ...teamView(team, true), new_team: !existing };
      },
      { nickname: "updateOrganizationTeam", requireOrgAdmin: true, audit: ["org_create_team", "org_set_team_role", "org_set_team_description"] },
    )
    .delete(
      "/api/v1/organization/:orgname/team/:teamname",
      async ({ org: { ns }, params, set, audit }) => {
        const team = await findTeam(ns.id, params.teamname);
        if (team.name === "owners") throw ApiError.invalidRequest("The owners team cannot be deleted");
        await ctx.stores.teams.deleteTeam(team.id);
        audit("org_delete_team", { namespace: ns.name }, { team: params.teamname });
        set.status = 204;
        return "";
      },
      { nickname: "deleteOrganizationTeam", requireOrgAdmin: true, audit: "org_delete_team" },
    )
    .get(
      "/api/v1/organization/:orgname/team/:teamname/members",
      async ({ caller, params }) => {
        // Team members may list their own team; org admins (and read-only superusers) any team.
        const s = await orgStanding(ctx, caller, params.orgname);
        const team = s.ns ? await ctx.stores.teams.team(s.ns.id, params.teamname) : undefined;
        const inTeam =
          team !== undefined && caller.identity.kind === "user" && (await ctx.stores.teams.teamIdsOf({ userId: caller.identity.user.id })).includes(team.id);
        if (!mayListTeamMembers(s, inTeam)) throw ApiError.unauthorized(isSignedIn(caller));
        if (!s.ns || !team) throw ApiError.notFound();
        return {
          name: params.teamname,
          members: (await ctx.stores.teams.teamMembers(team.id)).map((m) => memberView(m.name, m.isRobot, m.email)),
          can_edit: s.isAdmin,
        };
      },
      { nickname: "getOrganizationTeamMembers", requireScope: "org:admin" },
    )
    .get(
      "/api/v1/organization/:orgname/team/:teamname/permissions",
      async ({ org: { ns }, params }) => {
        const team = await findTeam(ns.id, params.teamname);
        return { permissions: (await ctx.stores.permissions.reposGrantedTo({ teamId: team.id })).map(grantedRepoView) };
      },
      { nickname: "getOrganizationTeamPermissions", requireOrgAdmin: { allowForGlobalReadonlySuperuser: true } },
    )
    .put(
      "/api/v1/organization/:orgname/team/:teamname/members/:membername",
      async ({ org: { ns }, params, audit }) => {
        const team = await findTeam(ns.id, params.teamname);
        const m = await resolveMember(ns.name, params.membername);
        await ctx.stores.teams.addMember(team.id, m.member);
        audit("org_add_team_member", { namespace: ns.name }, { team: params.teamname, member: params.membername });
        return memberView(params.membername, m.isRobot, m.email);
      },
      { nickname: "updateOrganizationTeamMember", requireOrgAdmin: true, audit: "org_add_team_member" },
    )
    .delete(
      "/api/v1/organization/:orgname/team/:teamname/members/:membername",
      async ({ org: { ns }, params, set, audit }) => {
        const team = await findTeam(ns.id, params.teamname);
        const m = await resolveMember(ns.name, params.membername);
        // Keeps at least one org admin: refused when this removal would leave none.
        const removal = await ctx.stores.teams.removeMember(team.id, m.member);
        if (removal.kind === "lastAdmin") throw ApiError.invalidRequest("Cannot remove the last organization admin");
        audit("org_remove_team_member", { namespace: ns.name }, { team: params.teamname, member: params.membername });
        set.status = 204;
        return "";
      },
      { nickname: "deleteOrganizationTeamMember", requireOrgAdmin: true, audit: "org_remove_team_member" },
    );
}
