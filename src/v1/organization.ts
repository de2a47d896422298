import { Type } from "@sinclair/typebox";
import { Elysia } from "elysia";
import type { TeamRow } from "../store/meta/orgs";
import { parseBody } from "./body";
import type { Caller } from "./caller";
import type { V1Context } from "./context";
import { ApiError } from "./errors";
import { orgStanding, requireUser } from "./guards";
import { v1Plugin } from "./macros";
import { v1Options } from "./session";
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
    .use(v1Plugin(ctx))
    .post("/api/v1/organization/", create, { nickname: "createOrganization", requireScope: "user:admin" })
    .get(
      "/api/v1/organization/:orgname",
      ({ caller, params }) => {
        const s = orgStanding(ctx, caller, params.orgname);
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
      },
      { nickname: "getOrganization" },
    )
    .delete(
      "/api/v1/organization/:orgname",
      ({ org: { ns }, set }) => {
        // Through the repository store, so its read cache forgets them; the rest goes by cascade.
        for (const name of ctx.stores.repositories.list(undefined, undefined, (n) => n.startsWith(`${ns.name}/`))) {
          const row = ctx.stores.repositories.find(name);
          if (row) ctx.stores.repositories.delete(row.id);
        }
        ctx.stores.orgs.deleteOrg(ns.id);
        set.status = 204;
        return "";
      },
      { nickname: "deleteAdminedOrganization", requireOrgAdmin: true, requireFreshLogin: true },
    )
    .get(
      "/api/v1/organization/:orgname/members",
      ({ org: { ns } }) => ({
        members: ctx.stores.orgs.userMembers(ns.id).map((m) => ({
          name: m.name,
          kind: "user",
          avatar: avatar(m.name, "user", m.email),
          teams: m.teams.map((t) => ({ name: t, avatar: avatar(t, "team") })),
          repositories: ctx.stores.permissions.directRepoNames(ns.id, { userId: m.userId }),
        })),
      }),
      { nickname: "getOrganizationMembers", requireOrgAdmin: { allowForGlobalReadonlySuperuser: true } },
    )
    .delete(
      "/api/v1/organization/:orgname/members/:membername",
      ({ org: { ns }, params, set }) => {
        const user = ctx.stores.users.byName(params.membername);
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
      },
      { nickname: "removeOrganizationMember", requireOrgAdmin: true },
    );
}
