import { Type } from "@sinclair/typebox";
import type { GrantRole } from "../store/meta/permissions";
import { parseBody } from "./body";
import type { V1App } from "./app";
import type { RepoStanding } from "../perm/repoRoles";
import type { V1Context } from "./context";
import { ApiError } from "./errors";
import type { AuditFn } from "./audit";
import { principalByName } from "./principals";
import { avatar } from "./views";

// Repository permissions for users, robots and teams (Quay's /repository/<repo>/permissions/…).
// Every call needs admin on the repository.

const RoleBody = Type.Object({ role: Type.Union([Type.Literal("read"), Type.Literal("write"), Type.Literal("admin")]) });

interface PermissionPath {
  kind: "user" | "team";
  name: string; // "" for the list
}

export function permissionRoutes(api: V1App, ctx: V1Context) {
  const read = async (standing: RepoStanding, p: PermissionPath) => {
    const namespace = standing.repo.slice(0, standing.repo.indexOf("/"));
    const ns = await ctx.stores.orgs.namespace(namespace);
    // The users in any team of the org: its members (robots of the org count as members too).
    const orgMembers = ns?.kind === "org" ? new Set((await ctx.stores.teams.userMembers(ns.id)).map((m) => m.name)) : undefined;
    const grants = (await ctx.stores.permissions.grantsOfRepo(standing.repoId!)).filter((g) => (p.kind === "team" ? g.kind === "team" : g.kind !== "team"));
    const view = (g: (typeof grants)[number]) =>
      p.kind === "team"
        ? { role: g.role, name: g.name, avatar: avatar(g.name, "team") }
        : {
            role: g.role,
            name: g.name,
            is_robot: g.kind === "robot",
            avatar: avatar(g.name, g.kind === "robot" ? "robot" : "user"),
            ...(orgMembers ? { is_org_member: g.kind === "robot" || orgMembers.has(g.name) } : {}),
          };
    if (p.name === "") return { permissions: Object.fromEntries(grants.map((g) => [g.name, view(g)])) };
    const one = grants.find((g) => g.name === p.name);
    if (!one) throw noPermission(p);
    return p.kind === "team" ? { role: one.role } : view(one);
  };
  const who = (p: PermissionPath) => (p.kind === "team" ? { team: p.name } : { username: p.name });
  const put = async (standing: RepoStanding, p: PermissionPath, body: unknown, audit: AuditFn) => {
    const { role } = parseBody(RoleBody, body);
    const grantee = await resolveGrantee(ctx, namespaceOf(standing), p);
    await ctx.stores.permissions.set(standing.repoId!, grantee, role as GrantRole);
    // Quay logs a PUT as a change whether or not a grant existed before.
    audit("change_repo_permission", { repo: { id: standing.repoId, name: standing.repo } }, { ...who(p), role });
    return read(standing, p);
  };
  const remove = async (standing: RepoStanding, p: PermissionPath, audit: AuditFn) => {
    const grantee = await resolveGrantee(ctx, namespaceOf(standing), p);
    if (!(await ctx.stores.permissions.remove(standing.repoId!, grantee))) throw noPermission(p);
    audit("delete_repo_permission", { repo: { id: standing.repoId, name: standing.repo } }, who(p));
    return new Response(null, { status: 204 });
  };
  const changes = { audit: "change_repo_permission" } as const;
  const deletes = { audit: "delete_repo_permission" } as const;
  const admin = { requireRepoAdmin: true } as const;
  const adminRead = { requireRepoAdmin: { allowForGlobalReadonlySuperuser: true } } as const;
  const base = "/api/v1/repository/:repository/permissions";
  return api
    .get(`${base}/user/`, ({ repo }) => read(repo, { kind: "user", name: "" }), { nickname: "listRepoUserPermissions", ...adminRead })
    .get(`${base}/user/:username`, ({ repo, params }) => read(repo, { kind: "user", name: params.username }), {
      nickname: "getUserPermissions",
      ...adminRead,
    })
    .put(`${base}/user/:username`, ({ repo, params, body, audit }) => put(repo, { kind: "user", name: params.username }, body, audit), {
      nickname: "changeUserPermissions",
      ...admin,
      ...changes,
    })
    .delete(`${base}/user/:username`, ({ repo, params, audit }) => remove(repo, { kind: "user", name: params.username }, audit), {
      nickname: "deleteUserPermissions",
      ...admin,
      ...deletes,
    })
    .get(
      `${base}/user/:username/transitive`,
      async ({ repo, params }) => {
        // The direct grant and every grant through the user's teams (Quay lists roles only).
        const grantee = await principalByName(ctx, params.username);
        const roles = grantee ? await ctx.stores.permissions.transitive(repo.repoId!, grantee.member) : [];
        if (!roles.length) throw ApiError.notFound();
        return { permissions: roles.map((role) => ({ role })) };
      },
      { nickname: "getUserTransitivePermission", ...adminRead },
    )
    .get(`${base}/team/`, ({ repo }) => read(repo, { kind: "team", name: "" }), { nickname: "listRepoTeamPermissions", ...adminRead })
    .get(`${base}/team/:teamname`, ({ repo, params }) => read(repo, { kind: "team", name: params.teamname }), {
      nickname: "getTeamPermissions",
      ...adminRead,
    })
    .put(`${base}/team/:teamname`, ({ repo, params, body, audit }) => put(repo, { kind: "team", name: params.teamname }, body, audit), {
      nickname: "changeTeamPermissions",
      ...admin,
      ...changes,
    })
    .delete(`${base}/team/:teamname`, ({ repo, params, audit }) => remove(repo, { kind: "team", name: params.teamname }, audit), {
      nickname: "deleteTeamPermissions",
      ...admin,
      ...deletes,
    });
}

const namespaceOf = (standing: RepoStanding) => standing.repo.slice(0, standing.repo.indexOf("/"));

function noPermission(p: PermissionPath) {
  return ApiError.invalidRequest(p.kind === "team" ? `Team ${p.name} does not have permission for repo.` : "User does not have permission for repo.");
}

async function resolveGrantee(ctx: V1Context, namespace: string, p: PermissionPath) {
  if (p.kind === "team") {
    const ns = await ctx.stores.orgs.namespace(namespace);
    const team = ns?.kind === "org" ? await ctx.stores.teams.team(ns.id, p.name) : undefined;
    if (!team) throw ApiError.invalidRequest(`No team ${p.name} in organization ${namespace}`);
    return { teamId: team.id };
  }
  if (p.name === namespace) throw ApiError.invalidRequest("Namespace owner must always be admin.");
  const found = await principalByName(ctx, p.name);
  if (!found) throw ApiError.invalidRequest(`Invalid username: ${p.name}`);
  // Robots hold grants only in their owner's namespace.
  if (found.kind === "robot" && found.robot.owner !== namespace) throw ApiError.invalidRequest(`Cannot add robot ${p.name} under namespace ${namespace}`);
  return found.member;
}

