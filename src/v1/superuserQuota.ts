// The superuser panel's quotas (Quay's SuperUserUserQuotaList / SuperUserUserQuota): any user's or
// organization's quota, by either path. Reads take any superuser, writes a real one; Quay records
// no audit entry for these (its org_*_quota kinds are the organization endpoints').
import type { V1App } from "./app";
import type { V1Context } from "./context";
import { ApiError } from "./errors";
import { notFound, quotaOf } from "./quota";
import { quotaSizeOf } from "./quotaBodies";
import { quotaView } from "./quotaView";
import { jsonResponse } from "./views";
import { SUPERUSER_READ, SUPERUSER_WRITE } from "./superuser";

// [path, parameter naming the namespace, Quay's nickname suffix]
const FAMILIES = [
  ["/api/v1/superuser/users/:username/quota", "username", "UserQuotaSuperUser"],
  ["/api/v1/superuser/organization/:namespace/quota", "namespace", "OrganizationQuotaSuperUser"],
] as const;

export function superuserQuotaRoutes(api: V1App, ctx: V1Context) {
  /** Quay's get_user_or_org: a user or an organization, whichever path named it. */
  const namespaceOf = async (name: string | undefined) => {
    const ns = (name && await ctx.stores.namespaces.settings(name)) || notFound();
    return { id: ns.id, name: ns.name };
  };
  const badFormat = "Invalid limit format";

  for (const [path, param, suffix] of FAMILIES) {
    const named = (params: Record<string, string | undefined>) => namespaceOf(params[param]);
    api
      .get(path, async ({ params }) => {
        const quota = await ctx.stores.quotas.ofNamespace((await named(params)).id);
        return quota ? [quotaView(quota)] : [];
      }, { nickname: `list${suffix}`, ...SUPERUSER_READ })
      .post(path, async ({ params, body }) => {
        const limitBytes = quotaSizeOf(body, "create", badFormat)!;
        const ns = await named(params);
        if ((await ctx.stores.quotas.create(ns.id, limitBytes)).kind === "exists") throw ApiError.invalidRequest(`Quota for '${ns.name}' already exists`);
        return jsonResponse("Created", 201);
      }, { nickname: `create${suffix}`, ...SUPERUSER_WRITE })
      .put(`${path}/:quota_id`, async ({ params, body }) => {
        const asked = quotaSizeOf(body, "update", badFormat);
        const ns = await named(params);
        const quota = await quotaOf(ctx, ns.id, params.quota_id);
        if (asked) {
          await ctx.stores.quotas.setLimitBytes(quota.id, asked);
          await ctx.registry.recheckQuota(ns);
        }
        return quotaView(await quotaOf(ctx, ns.id, params.quota_id));
      }, { nickname: `change${suffix}`, ...SUPERUSER_WRITE })
      // No fresh login for this one in Quay.
      .delete(`${path}/:quota_id`, async ({ params, set }) => {
        const ns = await named(params);
        await ctx.stores.quotas.delete(await quotaOf(ctx, ns.id, params.quota_id));
        set.status = 204;
        return "";
      }, { nickname: `delete${suffix}`, requireSuperuser: "write" });
  }
  return api;
}
