import { Type } from "@sinclair/typebox";
import type { V1App } from "./app";
import { removeNamespace } from "../store/namespaceRemoval";
import { parseBody } from "./body";
import type { V1Context } from "./context";
import { ApiError } from "./errors";
import { idPage } from "./query";
import { SUPERUSER_READ, SUPERUSER_WRITE } from "./superuser";
import { orgAvatar } from "./views";
import { namespaceQuotaFields, quotaFieldsOf, type NamespaceQuotaFields } from "./quotaView";

// The superuser panel's organizations (reference §2.12): list all, delete any. Renaming is
// refused with 501: repository and robot names embed the organization's name, and registry
// tokens already issued name repositories by it, so a rename is not a one-row change.

const UpdateOrg = Type.Object({ name: Type.Optional(Type.String()) });

export function superuserOrgRoutes(api: V1App, ctx: V1Context) {
  /** `quota`: the org's quota fields when a whole page of them was read at once. */
  const view = async (o: { name: string; email: string | null }, given?: NamespaceQuotaFields) => ({
    name: o.name,
    email: o.email,
    avatar: orgAvatar(o),
    ...(given ?? (await quotaFieldsOf(ctx.stores, o.name))),
  });

  const find = async (name: string) => {
    const org = await ctx.stores.orgs.org(name);
    if (!org) throw ApiError.notFound();
    return org;
  };

  return api
    .get(
      "/api/v1/superuser/organizations/",
      async ({ query }) => {
        const { page, next_page } = await idPage(query, (w) => ctx.stores.orgs.list(w));
        const quotas = await namespaceQuotaFields(ctx.stores, page.map((o) => o.name));
        return { organizations: await Promise.all(page.map((o) => view(o, quotas.get(o.name)))), ...(next_page ? { next_page } : {}) };
      },
      // Internal in Quay too: listed in discovery only with ?internal=true.
      { nickname: "listAllOrganizations", internal: true, ...SUPERUSER_READ },
    )
    .put(
      "/api/v1/superuser/organizations/:name",
      async ({ params, body }) => {
        const b = parseBody(UpdateOrg, body);
        const org = await find(params.name);
        if (b.name !== undefined && b.name !== org.name) {
          throw new ApiError("NotImplemented", "Renaming an organization is not supported");
        }
        // Nothing to change: the organization as it is, as Quay answers.
        return view(org);
      },
      // No audit entry: Quay's org_change_name is for a rename, which Berth refuses (501) above.
      { nickname: "changeOrganization", ...SUPERUSER_WRITE },
    )
    .delete(
      "/api/v1/superuser/organizations/:name",
      async ({ params, set }) => {
        // Repositories, robots, teams and their grants go with the namespace; cached robot
        // logins are re-checked against the store on use, so they end too.
        await removeNamespace(ctx.stores, (await find(params.name)).name);
        set.status = 204;
        return "";
      },
      // No audit entry: Quay's superuser deleteOrganization records none (no org_delete, which
      // only the organization's own DELETE /organization/<org> writes).
      { nickname: "deleteOrganization", ...SUPERUSER_WRITE },
    );
}
