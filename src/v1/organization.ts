import { Type } from "@sinclair/typebox";
import type { V1App } from "./app";
import type { OrgStanding } from "../perm/orgStanding";
import { mayCreateOrganization } from "../perm/superuser";
import { removeNamespace } from "../store/namespaceRemoval";
import type { TeamRow } from "../store/meta/teams";
import { parseBody } from "./body";
import type { Caller } from "./caller";
import type { V1Context } from "./context";
import { ApiError } from "./errors";
import { orgStanding, requireUser } from "./guards";
import { EMAIL, isValidName, TAG_EXPIRATION_OPTIONS } from "./fieldRules";
import type { AuditFn } from "./audit";
import { principalByName } from "./principals";
import { avatar, jsonResponse, orgAvatar } from "./views";
import { quotaFieldsOf } from "./quotaView";


const UpdateBody = Type.Object({
  email: Type.Optional(Type.String({ maxLength: 255 })),
  contact_email: Type.Optional(Type.String({ maxLength: 255 })),
  invoice_email: Type.Optional(Type.Boolean()),
  invoice_email_address: Type.Optional(Type.Union([Type.String(), Type.Null()])),
  tag_expiration_s: Type.Optional(Type.Integer()),
});

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
export function organizationRoutes(api: V1App, ctx: V1Context) {
  const create = async ({ caller, body, audit }: { caller: Caller; body: unknown; audit: AuditFn }) => {
    const user = requireUser(caller);
    const b = parseBody(CreateBody, body);
    if (!isValidName(b.name)) throw ApiError.invalidRequest("Invalid organization name", { field: "name" });
    if (b.email && !EMAIL.test(b.email)) throw ApiError.invalidRequest("Invalid email address", { field: "email" });
    if (!mayCreateOrganization(ctx.roles.principalOf(caller.identity))) throw ApiError.unauthorized(true);
    const out = await ctx.stores.orgs.create(b.name, user.id);
    if (out.kind === "nameTaken") throw ApiError.invalidRequest("A user or organization with this name already exists", { field: "name" });
    if (b.email) await ctx.stores.namespaces.setEmail(out.namespaceId, b.email);
    audit("org_create", { namespace: b.name }, { email: b.email ?? null });
    // Quay answers the JSON string "Created".
    return jsonResponse("Created", 201);
  };

  const orgView = async (s: OrgStanding & { ns: { id: number; name: string } }, caller: Caller) => {
    const settings = await ctx.stores.namespaces.settings(s.ns.name);
    const view: Record<string, unknown> = {
      name: s.ns.name,
      // Only admins (and superusers) see the address, as in Quay.
      email: s.isAdmin || s.canRead ? (settings?.email ?? "") : "",
      avatar: orgAvatar({ name: s.ns.name, email: settings?.email }),
      is_admin: s.isAdmin,
      is_member: s.isMember,
    };
    if (s.canReadAsMember) {
      const teams = await ctx.stores.teams.teams(s.ns.id);
      const mine = caller.identity.kind === "user" ? new Set(await ctx.stores.teams.teamIdsOf({ userId: caller.identity.user.id })) : new Set<number>();
      view.teams = Object.fromEntries(teams.map((t) => [t.name, teamView(t, s.isAdmin || mine.has(t.id))]));
      view.ordered_teams = teams.map((t) => t.name);
      view.can_create_repo = s.canCreateRepo;
      Object.assign(view, await quotaFieldsOf(ctx.stores, s.ns.name));
    }
    if (s.isAdmin) {
      view.invoice_email = false;
      view.invoice_email_address = null;
      view.tag_expiration_s = settings?.tagExpirationS ?? 1209600;
      view.is_free_account = true;
    }
    return view;
  };

  return api
    .post("/api/v1/organization/", create, { nickname: "createOrganization", requireScope: "user:admin", audit: "org_create" })
    .get(
      "/api/v1/organization/:orgname",
      async ({ caller, params }) => {
        const s = await orgStanding(ctx, caller, params.orgname);
        if (!s.ns) throw ApiError.notFound();
        return orgView(s as OrgStanding & { ns: { id: number; name: string } }, caller);
      },
      { nickname: "getOrganization" },
    )
    .put(
      "/api/v1/organization/:orgname",
      async ({ org, caller, body, audit }) => {
        const b = parseBody(UpdateBody, body);
        const email = b.email ?? b.contact_email;
        if (email && !EMAIL.test(email)) throw ApiError.invalidRequest("Invalid email address", { field: "email" });
        if (b.tag_expiration_s !== undefined && !TAG_EXPIRATION_OPTIONS.includes(b.tag_expiration_s)) {
          throw ApiError.invalidRequest("Invalid tag expiration option", { field: "tag_expiration_s" });
        }
        const before = (await ctx.stores.namespaces.settings(org.ns.name))?.email ?? null;
        if (email !== undefined && (email || null) !== before) {
          await ctx.stores.namespaces.setEmail(org.ns.id, email || null);
          audit("org_change_email", { namespace: org.ns.name }, { email, old_email: before });
        }
        if (b.tag_expiration_s !== undefined) {
          await ctx.stores.namespaces.setTagExpiration(org.ns.id, b.tag_expiration_s);
          audit("org_change_tag_expiration", { namespace: org.ns.name }, { tag_expiration: b.tag_expiration_s });
        }
        return orgView(org, caller);
      },
      { nickname: "changeOrganizationDetails", requireOrgAdmin: true, audit: ["org_change_email", "org_change_tag_expiration"] },
    )
    .delete(
      "/api/v1/organization/:orgname",
      async ({ org: { ns }, set, audit }) => {
        audit("org_delete", { namespace: ns.name });
        await removeNamespace(ctx.stores, ns.name);
        set.status = 204;
        return "";
      },
      { nickname: "deleteAdminedOrganization", requireOrgAdmin: true, requireFreshLogin: true, audit: "org_delete" },
    )
    .get(
      "/api/v1/organization/:orgname/members",
      async ({ org: { ns } }) => ({
        members: await Promise.all(
          (await ctx.stores.teams.userMembers(ns.id)).map(async (m) => ({
            name: m.name,
            kind: "user",
            avatar: avatar(m.name, "user", m.email),
            teams: m.teams.map((t) => ({ name: t, avatar: avatar(t, "team") })),
            repositories: await ctx.stores.permissions.directRepoNames(ns.id, { userId: m.userId }),
          })),
        ),
      }),
      { nickname: "getOrganizationMembers", requireOrgAdmin: { allowForGlobalReadonlySuperuser: true } },
    )
    .get(
      "/api/v1/organization/:orgname/members/:membername",
      async ({ org: { ns }, params }) => {
        // A user in any team of the org, or one of its robots; anyone else is not a member.
        const found = await principalByName(ctx, params.membername);
        const teams = found ? await ctx.stores.teams.teamsOf(ns.id, found.member) : [];
        const isMember = found?.kind === "robot" ? found.robot.owner === ns.name : teams.length > 0;
        if (!found || !isMember) throw ApiError.notFound("Member not found");
        return {
          name: params.membername,
          kind: found.kind,
          avatar: avatar(params.membername, found.kind, found.kind === "user" ? found.user.email : undefined),
          teams: teams.map((t) => ({ name: t, avatar: avatar(t, "team") })),
          repositories: await ctx.stores.permissions.directRepoNames(ns.id, found.member),
        };
      },
      { nickname: "getOrganizationMember", requireOrgAdmin: { allowForGlobalReadonlySuperuser: true } },
    )
    .delete(
      "/api/v1/organization/:orgname/members/:membername",
      async ({ org: { ns }, params, set, audit }) => {
        const user = await ctx.stores.users.byName(params.membername);
        if (!user) throw ApiError.notFound();
        const member = { userId: user.id };
        const removal = await ctx.stores.teams.removeFromOrg(ns.id, member);
        if (removal.kind === "lastAdmin") throw ApiError.invalidRequest("Cannot remove user as they are the only organization admin");
        await ctx.stores.permissions.removeAllIn(ns.id, member);
        audit("org_remove_team_member", { namespace: ns.name }, { member: params.membername, team: null });
        set.status = 204;
        return "";
      },
      { nickname: "removeOrganizationMember", requireOrgAdmin: true, audit: "org_remove_team_member" },
    );
}
