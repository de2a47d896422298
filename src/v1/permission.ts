import { Type } from "@sinclair/typebox";
import type { GrantRole } from "../store/meta/permissions";
import { parseBody } from "./body";
import type { Caller } from "./caller";
import type { V1Context } from "./context";
import { ApiError } from "./errors";
import { requireRepoRole } from "./guards";
import { avatar } from "./views";

// Repository permissions for users, robots and teams (Quay's /repository/<repo>/permissions/…).
// Every call needs admin on the repository.

const RoleBody = Type.Object({ role: Type.Union([Type.Literal("read"), Type.Literal("write"), Type.Literal("admin")]) });

export interface PermissionPath {
  repo: string;
  kind: "user" | "team";
  name: string; // "" for the list
}

/** `<repo>/permissions/(user|team)/[<name>]`, anchored on the last `/permissions/`. */
export function splitPermissionPath(rest: string, isRepo: (name: string) => boolean): PermissionPath | undefined {
  let path: string;
  try {
    path = decodeURIComponent(rest);
  } catch {
    return undefined;
  }
  const at = path.lastIndexOf("/permissions/");
  if (at < 0) return undefined;
  const repo = path.slice(0, at);
  const m = /^(user|team)\/([^/]*)\/?$/.exec(path.slice(at + "/permissions/".length));
  if (!m || !isRepo(repo)) return undefined;
  return { repo, kind: m[1] as "user" | "team", name: m[2]! };
}

export function readPermissions(ctx: V1Context, caller: Caller, p: PermissionPath) {
  const standing = requireRepoRole(caller, ctx.roles, p.repo, "admin");
  const namespace = standing.repo.slice(0, standing.repo.indexOf("/"));
  const isOrg = ctx.stores.orgs.namespace(namespace)?.kind === "org";
  const grants = ctx.stores.permissions
    .grantsOfRepo(standing.repoId!)
    .filter((g) => (p.kind === "team" ? g.kind === "team" : g.kind !== "team"));
  const view = (g: (typeof grants)[number]) =>
    p.kind === "team"
      ? { role: g.role, name: g.name, avatar: avatar(g.name, "team") }
      : {
          role: g.role,
          name: g.name,
          is_robot: g.kind === "robot",
          avatar: avatar(g.name, g.kind === "robot" ? "robot" : "user"),
          ...(isOrg ? { is_org_member: g.kind === "robot" || isOrgMember(ctx, namespace, g.name) } : {}),
        };
  if (p.name === "") return { permissions: Object.fromEntries(grants.map((g) => [g.name, view(g)])) };
  const one = grants.find((g) => g.name === p.name);
  if (!one) throw ApiError.invalidRequest(p.kind === "team" ? `Team ${p.name} does not have permission for repo.` : "User does not have permission for repo.");
  return p.kind === "team" ? { role: one.role } : view(one);
}

export function putPermission(ctx: V1Context, caller: Caller, p: PermissionPath, body: unknown) {
  if (p.name === "") throw ApiError.notFound();
  const standing = requireRepoRole(caller, ctx.roles, p.repo, "admin");
  const { role } = parseBody(RoleBody, body);
  const namespace = standing.repo.slice(0, standing.repo.indexOf("/"));
  const grantee = resolveGrantee(ctx, namespace, p);
  ctx.stores.permissions.set(standing.repoId!, grantee, role as GrantRole);
  return readPermissions(ctx, caller, p);
}

export function deletePermission(ctx: V1Context, caller: Caller, p: PermissionPath): void {
  if (p.name === "") throw ApiError.notFound();
  const standing = requireRepoRole(caller, ctx.roles, p.repo, "admin");
  const namespace = standing.repo.slice(0, standing.repo.indexOf("/"));
  const grantee = resolveGrantee(ctx, namespace, p);
  if (!ctx.stores.permissions.remove(standing.repoId!, grantee)) {
    throw ApiError.invalidRequest(p.kind === "team" ? `Team ${p.name} does not have permission for repo.` : "User does not have permission for repo.");
  }
}

function resolveGrantee(ctx: V1Context, namespace: string, p: PermissionPath) {
  if (p.kind === "team") {
    const ns = ctx.stores.orgs.namespace(namespace);
    const team = ns?.kind === "org" ? ctx.stores.orgs.team(ns.id, p.name) : undefined;
    if (!team) throw ApiError.invalidRequest(`No team ${p.name} in organization ${namespace}`);
    return { teamId: team.id };
  }
  if (p.name.includes("+")) {
    const robot = ctx.stores.robots.byName(p.name);
    if (!robot) throw ApiError.invalidRequest(`Invalid username: ${p.name}`);
    // Robots hold grants only in their owner's namespace.
    if (robot.owner !== namespace) throw ApiError.invalidRequest(`Cannot add robot ${p.name} under namespace ${namespace}`);
    return { robotId: robot.id };
  }
  if (p.name === namespace) throw ApiError.invalidRequest("Namespace owner must always be admin.");
  const user = ctx.stores.users.byName(p.name);
  if (!user) throw ApiError.invalidRequest(`Invalid username: ${p.name}`);
  return { userId: user.id };
}

function isOrgMember(ctx: V1Context, org: string, username: string): boolean {
  const user = ctx.stores.users.byName(username);
  return user !== undefined && ctx.stores.orgs.orgsOf({ userId: user.id }).some((o) => o.name === org);
}
