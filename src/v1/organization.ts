import { Type } from "@sinclair/typebox";
import { Elysia } from "elysia";
import type { TeamRole, TeamRow } from "../store/meta/orgs";
import { parseBody } from "./body";
import { isSignedIn, type Caller } from "./caller";
import type { V1Context } from "./context";
import { ApiError } from "./errors";
import { requireFreshLogin, requireUser } from "./guards";
import { callerPlugin, v1Options } from "./session";
import { avatar } from "./views";

/** Namespace, team and robot short names (reference §5.5). */
const NAME = /^[a-z0-9]+(?:[._-][a-z0-9]+)*$/;
export function isValidName(name: string): boolean {
  return name.length >= 2 && name.length <= 255 && NAME.test(name);
}

const EMAIL = /^[^\s@]+@[^\s@]+\.[^\s@]+$/;

const CreateBody = Type.Object({
  name: Type.String({ minLength: 1 }),
  email: Type.Optional(Type.Union([Type.String(), Type.Null()])),
});

/** What the caller is in an organization: its team roles, and admin/member as Quay's permissions see them. */
export interface OrgStanding {
  /** undefined when no organization has this name. */
  ns?: { id: number; name: string };
  roles: TeamRole[];
  isAdmin: boolean;
  isMember: boolean;
  /** Org admin, or a global read-only superuser (reads only). */
  canRead: boolean;
}

export function orgStanding(ctx: V1Context, caller: Caller, org: string): OrgStanding {
  const found = ctx.stores.orgs.namespace(org);
  const ns = found?.kind === "org" ? { id: found.id, name: org } : undefined;
  const principal = ctx.roles.principalOf(caller.identity);
  const superFull = principal.kind === "user" && principal.superuser && ctx.config.superuserFullAccess;
  const gro = principal.kind === "user" && principal.readonlySuperuser;
  const roles = ns && caller.identity.kind === "user" ? ctx.stores.orgs.teamRolesOf(ns.id, { userId: caller.identity.user.id }) : [];
  const isAdmin = !!ns && (roles.includes("admin") || superFull);
  const isMember = !!ns && (roles.length > 0 || superFull);
  return { ns, roles, isAdmin, isMember, canRead: isAdmin || (!!ns && gro) };
}

/** Quay's order: the permission first (so unknown orgs answer 401/403 like private ones), then 404. */
export function requireOrgAdmin(ctx: V1Context, caller: Caller, org: string, read = false) {
  const standing = orgStanding(ctx, caller, org);
  if (!(read ? standing.canRead : standing.isAdmin)) throw ApiError.unauthorized(isSignedIn(caller));
  if (!standing.ns) throw ApiError.notFound();
  return { ...standing, ns: standing.ns };
}

export function teamView(team: TeamRow, canView: boolean) {
  return {
    name: team.name,
    description: team.description ?? "",
    role: team.role,
    avatar: avatar(team.name, "team"),
    can_view: canView,
    repo_count: team.repoCount,
    member_count: team.memberCount,
    is_synced: false,
  };
}

/** Organizations: create, view, delete, and their members. */
export function organizationRoutes(ctx: V1Context) {
  const create = ({ caller, body }: { caller: Caller; body: unknown }) => {
    const user = requireUser(caller);
    const b = parseBody(CreateBody, body);
    if (!isValidName(b.name)) throw ApiError.invalidRequest("Invalid organization name", { field: "name" });
    if (b.email && !EMAIL.test(b.email)) throw ApiError.invalidRequest("Invalid email address", { field: "email" });
    const principal = ctx.roles.principalOf(caller.identity);
    if (principal.kind === "user" && principal.readonlySuperuser) throw ApiError.unauthorized(true);
    const out = ctx.stores.orgs.create(b.name, user.id);
    if (out.kind === "nameTaken") throw ApiError.invalidRequest("A user or organization with this name already exists", { field: "name" });
    // Quay answers the JSON string "Created".
    return new Response(JSON.stringify("Created"), { status: 201, headers: { "Content-Type": "application/json" } });
  };

  return new Elysia(v1Options(ctx, "berth-v1-organization"))
    .use(callerPlugin(ctx))
    .post("/api/v1/organization", create)
    .post("/api/v1/organization/", create)
    .get("/api/v1/organization/:org", ({ caller, params }) => {
      const s = orgStanding(ctx, caller, params.org);
      if (!s.ns) throw ApiError.notFound();
      const view: Record<string, unknown> = {
        name: s.ns.name,
        email: "",
        avatar: avatar(s.ns.name, "org"),
        is_admin: s.isAdmin,
        is_member: s.isMember,
      };
      if (s.isMember || s.canRead) {
        const teams = ctx.stores.orgs.teams(s.ns.id);
        const mine = caller.identity.kind === "user" ? new Set(ctx.stores.orgs.teamIdsOf({ userId: caller.identity.user.id })) : new Set<number>();
        view.teams = Object.fromEntries(teams.map((t) => [t.name, teamView(t, s.isAdmin || mine.has(t.id))]));
        view.ordered_teams = teams.map((t) => t.name);
        view.can_create_repo = s.isAdmin || s.roles.includes("creator");
      }
      if (s.isAdmin) {
        view.invoice_email = false;
        view.invoice_email_address = null;
        view.tag_expiration_s = 1209600;
        view.is_free_account = true;
      }
      return view;
    })
    .delete("/api/v1/organization/:org", ({ caller, params, set }) => {
      const { ns } = requireOrgAdmin(ctx, caller, params.org);
      requireFreshLogin(caller);
      // Through the repository store, so its read cache forgets them; the rest goes by cascade.
      for (const name of ctx.stores.repositories.list(undefined, undefined, (n) => n.startsWith(`${ns.name}/`))) {
        const row = ctx.stores.repositories.find(name);
        if (row) ctx.stores.repositories.delete(row.id);
      }
      ctx.stores.orgs.deleteOrg(ns.id);
      set.status = 204;
      return "";
    })
    .get("/api/v1/organization/:org/members", ({ caller, params }) => {
      const { ns } = requireOrgAdmin(ctx, caller, params.org, true);
      return {
        members: ctx.stores.orgs.userMembers(ns.id).map((m) => ({
          name: m.name,
          kind: "user",
          avatar: avatar(m.name, "user", m.email),
          teams: m.teams.map((t) => ({ name: t, avatar: avatar(t, "team") })),
          repositories: ctx.stores.permissions.directRepoNames(ns.id, { userId: m.userId }),
        })),
      };
    })
    .delete("/api/v1/organization/:org/members/:member", ({ caller, params, set }) => {
      const { ns } = requireOrgAdmin(ctx, caller, params.org);
      const user = ctx.stores.users.byName(params.member);
      if (!user) throw ApiError.notFound();
      const member = { userId: user.id };
      const roles = ctx.stores.orgs.teamRolesOf(ns.id, member);
      if (roles.includes("admin") && ctx.stores.orgs.adminUserCount(ns.id) <= 1) {
        throw ApiError.invalidRequest("Cannot remove user as they are the only organization admin");
      }
      ctx.stores.orgs.removeFromAllTeams(ns.id, member);
      ctx.stores.permissions.removeAllIn(ns.id, member);
      set.status = 204;
      return "";
    });
}
