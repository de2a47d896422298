// Default permissions of an organization (Quay's prototypes, reference quay-api.md §2.10): when
// someone creates a repository in the org, the delegate gets `role` on it. Org admins only.
import { Type } from "@sinclair/typebox";
import type { V1App } from "./app";
import type { PrototypeCreator, PrototypeDelegate, PrototypeView } from "../store/meta/prototypes";
import { parseBody } from "./body";
import type { V1Context } from "./context";
import { ApiError } from "./errors";
import { principalByName } from "./principals";
import { avatar } from "./views";

const Role = Type.Union([Type.Literal("read"), Type.Literal("write"), Type.Literal("admin")]);
const NewPrototype = Type.Object({
  role: Role,
  delegate: Type.Object({ name: Type.String(), kind: Type.Union([Type.Literal("user"), Type.Literal("team")]) }),
  activating_user: Type.Optional(Type.Union([Type.Object({ name: Type.String() }), Type.Null()])),
});
const PrototypeUpdate = Type.Object({ role: Role });

type Org = { id: number; name: string };

/**
 * Quay's log_prototype_action keys (the performer's `username` comes with every entry): the
 * prototype, whose creations activate it, the role, and the delegate (a robot is a user there).
 */
function prototypeLogKeys(p: PrototypeView, extra: Record<string, unknown> = {}) {
  return {
    prototypeid: p.uuid,
    activating_username: p.activating?.name ?? null,
    role: p.role,
    ...extra,
    ...(p.delegate.kind === "team" ? { delegate_team: p.delegate.name } : { delegate_user: p.delegate.name }),
  };
}

export function prototypeRoutes(api: V1App, ctx: V1Context) {
  /** Quay's prototype_user_view: robots always count as org members. */
  const userView = async (org: Org, who: { kind: "user" | "robot"; id: number; name: string }) => {
    const robot = who.kind === "robot";
    const email = robot ? null : ((await ctx.stores.users.byId(who.id))?.email ?? null);
    return {
      name: who.name,
      is_robot: robot,
      kind: "user",
      is_org_member: robot || (await ctx.stores.teams.teamRolesOf(org.id, { userId: who.id })).length > 0,
      avatar: avatar(who.name, robot ? "robot" : "user", email),
    };
  };
  const view = async (org: Org, p: PrototypeView) => ({
    activating_user: p.activating ? await userView(org, p.activating) : null,
    delegate:
      p.delegate.kind === "team"
        ? { name: p.delegate.name, kind: "team", avatar: avatar(p.delegate.name, "team") }
        : await userView(org, { kind: p.delegate.kind, id: p.delegate.id, name: p.delegate.name }),
    role: p.role,
    id: p.uuid,
  });

  /**
   * A user, or a robot of this org, by name (Quay's get_user finds robots too). Robots of other
   * namespaces are refused: they could never hold a grant on this org's repositories.
   */
  const principal = async (org: Org, name: string): Promise<PrototypeCreator | undefined> => {
    const found = await principalByName(ctx, name);
    if (found?.kind === "robot" && found.robot.owner !== org.name) throw ApiError.invalidRequest(`Cannot add robot ${name} under namespace ${org.name}`);
    return found?.member;
  };

  const findTeam = async (org: Org, name: string): Promise<PrototypeDelegate | undefined> => {
    const team = await ctx.stores.teams.team(org.id, name);
    return team ? { teamId: team.id } : undefined;
  };

  const admin = { requireOrgAdmin: true } as const;
  return api
    .get(
      "/api/v1/organization/:orgname/prototypes",
      async ({ org: { ns } }) => ({ prototypes: await Promise.all((await ctx.stores.prototypes.list(ns.id)).map((p) => view(ns, p))) }),
      { nickname: "getOrganizationPrototypePermissions", requireOrgAdmin: { allowForGlobalReadonlySuperuser: true } },
    )
    .post(
      "/api/v1/organization/:orgname/prototypes",
      async ({ org: { ns }, body, audit }) => {
        const b = parseBody(NewPrototype, body);
        const activatingName = b.activating_user?.name;
        const activating = activatingName ? await principal(ns, activatingName) : undefined;
        if (activatingName && !activating) throw ApiError.invalidRequest("Unknown activating user");
        const delegate = b.delegate.kind === "team" ? await findTeam(ns, b.delegate.name) : await principal(ns, b.delegate.name);
        if (!delegate) throw ApiError.invalidRequest("Missing delegate user or team");
        const created = await ctx.stores.prototypes.create({ namespaceId: ns.id, activating, delegate, role: b.role });
        audit("create_prototype_permission", { namespace: ns.name }, prototypeLogKeys(created));
        return view(ns, created);
      },
      { nickname: "createOrganizationPrototypePermission", ...admin, audit: "create_prototype_permission" },
    )
    .put(
      "/api/v1/organization/:orgname/prototypes/:prototypeid",
      async ({ org: { ns }, params, body, audit }) => {
        const { role } = parseBody(PrototypeUpdate, body);
        const existing = await ctx.stores.prototypes.get(ns.id, params.prototypeid);
        const updated = existing && await ctx.stores.prototypes.updateRole(ns.id, params.prototypeid, role);
        if (!updated) throw ApiError.notFound();
        audit("modify_prototype_permission", { namespace: ns.name }, prototypeLogKeys(updated, { original_role: existing.role }));
        return view(ns, updated);
      },
      { nickname: "updateOrganizationPrototypePermission", ...admin, audit: "modify_prototype_permission" },
    )
    .delete(
      "/api/v1/organization/:orgname/prototypes/:prototypeid",
      async ({ org: { ns }, params, audit }) => {
        // Read first: the entry describes what was deleted.
        const existing = await ctx.stores.prototypes.get(ns.id, params.prototypeid);
        if (!existing || !await ctx.stores.prototypes.delete(ns.id, params.prototypeid)) throw ApiError.notFound();
        audit("delete_prototype_permission", { namespace: ns.name }, prototypeLogKeys(existing));
        return new Response(null, { status: 204 });
      },
      { nickname: "deleteOrganizationPrototypePermission", ...admin, audit: "delete_prototype_permission" },
    );
}
