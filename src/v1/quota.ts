// Namespace quotas (Quay's endpoints/api/namespacequota.py): an organization's quota and its
// Warning/Reject limits, read by its members and set by superusers with full access; a user reads
// the quota of their own namespace. The registry enforces them (src/registry/guards.ts).
// As in Quay, the routes under …/quota/<quota_id> serve a user's namespace too (for superusers:
// its web client sets a user's limits there); listing and creating are for organizations.
import type { V1App } from "./app";
import { withinScopes } from "../perm/oauthScopes";
import { mayManageQuotas, mayReadAnyQuota } from "../perm/superuser";
import type { QuotaRow } from "../store/meta/quotas";
import { isSignedIn, tokenScopes, type Caller } from "./caller";
import type { V1Context } from "./context";
import { ApiError } from "./errors";
import { orgStanding } from "./guards";
import { limitChangeOf, newLimitOf, quotaSizeOf } from "./quotaBodies";
import { formatQuotaSize } from "./quotaSize";
import { limitView, quotaView } from "./quotaView";
import { jsonResponse } from "./views";

const O = "/api/v1/organization/:orgname/quota";
const U = "/api/v1/user/quota";

export const notFound = (): never => {
  throw ApiError.notFound();
};

/** A quota or limit id from the path; anything but a number names nothing. */
const idOf = (value: string | undefined) => (value && /^\d{1,15}$/.test(value) ? Number(value) : -1);

/** Quay's get_quota: the namespace's quota of that id, or 404. */
export async function quotaOf(ctx: V1Context, namespaceId: number, quotaId: string | undefined): Promise<QuotaRow> {
  return await ctx.stores.quotas.get(namespaceId, idOf(quotaId)) ?? notFound();
}

const limitOf = (quota: QuotaRow, limitId: string | undefined) => quota.limits.find((l) => l.id === idOf(limitId)) ?? notFound();

type Ns = { id: number; name: string };
/** Which namespaces a route serves: organizations only, or users' too. */
type Kinds = "org" | "any";

export function quotaRoutes(api: V1App, ctx: V1Context) {
  const namespaceNamed = async (name: string, kinds: Kinds): Promise<Ns> => {
    const ns = await ctx.stores.orgs.namespace(name);
    return ns && (kinds === "any" || ns.kind === "org") ? { id: ns.id, name } : notFound();
  };
  /** Superuser powers: a session, or a token with the super:user scope. */
  const asSuperuser = (caller: Caller, rule: typeof mayReadAnyQuota) =>
    withinScopes(tokenScopes(caller), "super:user") && rule(ctx.roles.principalOf(caller.identity), ctx.config.superuserFullAccess);
  /** Reads: the org's members, global read-only superusers and superusers with full access; then 404 (Quay's order). */
  const readable = async (caller: Caller, name: string, kinds: Kinds = "any"): Promise<Ns> => {
    const s = await orgStanding(ctx, caller, name);
    if (s.canReadAsMember && s.ns) return s.ns;
    if (asSuperuser(caller, mayReadAnyQuota)) return namespaceNamed(name, kinds);
    throw ApiError.unauthorized(isSignedIn(caller));
  };
  /** Writes: superusers with full access only; then 404. */
  const manageable = (caller: Caller, name: string, kinds: Kinds = "any"): Promise<Ns> => {
    if (!asSuperuser(caller, mayManageQuotas)) throw ApiError.unauthorized(isSignedIn(caller));
    return namespaceNamed(name, kinds);
  };
  /** Quay tells the namespace's quota notifications at once when changed limits are already reached. */
  const recheck = (ns: Ns) => ctx.registry.recheckQuota(ns);
  const own = async (username: string) => (await ctx.stores.namespaces.settings(username))?.id ?? notFound();
  const bytes = (b: number) => ({ limit_bytes: b, limit: formatQuotaSize(b) });

  return (
    api
      .get(O, async ({ caller, params }) => {
        const ns = await readable(caller, params.orgname, "org");
        const quota = await ctx.stores.quotas.ofNamespace(ns.id);
        return quota ? [quotaView(quota)] : [];
      }, { nickname: "listOrganizationQuota" })
      .post(O, async ({ caller, params, body, audit }) => {
        const ns = await manageable(caller, params.orgname, "org");
        const limitBytes = quotaSizeOf(body, "create", "Invalid limit format, use a number followed by a unit (e.g. 1GiB)")!;
        if ((await ctx.stores.quotas.create(ns.id, limitBytes)).kind === "exists") throw ApiError.invalidRequest(`Organization quota for '${ns.name}' already exists`);
        audit("org_create_quota", { namespace: ns.name }, { namespace: ns.name, ...bytes(limitBytes) });
        return jsonResponse("Created", 201);
      }, { nickname: "createOrganizationQuota", requireScope: "super:user", audit: "org_create_quota" })
      .get(`${O}/:quota_id`, async ({ caller, params }) => quotaView(await quotaOf(ctx, (await readable(caller, params.orgname)).id, params.quota_id)), {
        nickname: "getOrganizationQuota",
      })
      .put(`${O}/:quota_id`, async ({ caller, params, body, audit }) => {
        const ns = await manageable(caller, params.orgname);
        const asked = quotaSizeOf(body, "update", "Invalid limit format, use a number followed by a unit (e.g. 1GiB)");
        const quota = await quotaOf(ctx, ns.id, params.quota_id);
        if (asked) {
          await ctx.stores.quotas.setLimitBytes(quota.id, asked);
          const previous = bytes(quota.limitBytes);
          audit("org_change_quota", { namespace: ns.name }, { namespace: ns.name, ...bytes(asked), previous_limit_bytes: previous.limit_bytes, previous_limit: previous.limit });
          await recheck(ns);
        }
        return quotaView(await quotaOf(ctx, ns.id, params.quota_id));
      }, { nickname: "changeOrganizationQuota", requireScope: "super:user", audit: "org_change_quota" })
      .delete(`${O}/:quota_id`, async ({ caller, params, set, audit }) => {
        const ns = await manageable(caller, params.orgname);
        const quota = await quotaOf(ctx, ns.id, params.quota_id);
        await ctx.stores.quotas.delete(quota);
        audit("org_delete_quota", { namespace: ns.name }, { namespace: ns.name, quota_id: quota.id, ...bytes(quota.limitBytes) });
        set.status = 204;
        return "";
      }, { nickname: "deleteOrganizationQuota", requireScope: "super:user", audit: "org_delete_quota" })
      .get(`${O}/:quota_id/limit`, async ({ caller, params }) => (await quotaOf(ctx, (await readable(caller, params.orgname)).id, params.quota_id)).limits.map(limitView), {
        nickname: "listOrganizationQuotaLimit",
      })
      .post(`${O}/:quota_id/limit`, async ({ caller, params, body, audit }) => {
        const ns = await manageable(caller, params.orgname);
        const limit = newLimitOf(body);
        const quota = await quotaOf(ctx, ns.id, params.quota_id);
        if ((await ctx.stores.quotas.addLimit(quota.id, limit.type, limit.percent)).kind === "exists") throw ApiError.invalidRequest("Quota limit already exists");
        audit("org_create_quota_limit", { namespace: ns.name }, { namespace: ns.name, type: limit.type, threshold_percent: limit.percent });
        await recheck(ns);
        return jsonResponse("Created", 201);
      }, { nickname: "createOrganizationQuotaLimit", requireScope: "super:user", audit: "org_create_quota_limit" })
      .get(`${O}/:quota_id/limit/:limit_id`, async ({ caller, params }) => {
        const quota = await quotaOf(ctx, (await readable(caller, params.orgname)).id, params.quota_id);
        return limitView(limitOf(quota, params.limit_id));
      }, { nickname: "getOrganizationQuotaLimit" })
      .put(`${O}/:quota_id/limit/:limit_id`, async ({ caller, params, body, audit }) => {
        const ns = await manageable(caller, params.orgname);
        const change = limitChangeOf(body);
        const quota = await quotaOf(ctx, ns.id, params.quota_id);
        const before = limitOf(quota, params.limit_id);
        const after = { type: change.type ?? before.type, percent: change.percent ?? before.percent };
        if (await ctx.stores.quotas.changeLimit(before.id, after) === "exists") throw ApiError.invalidRequest("Quota limit already exists");
        audit("org_change_quota_limit", { namespace: ns.name }, {
          namespace: ns.name,
          type: after.type,
          threshold_percent: after.percent,
          previous_type: before.type,
          previous_threshold_percent: before.percent,
        });
        await recheck(ns);
        // Quay answers with the quota, not the limit.
        return quotaView(await quotaOf(ctx, ns.id, params.quota_id));
      }, { nickname: "changeOrganizationQuotaLimit", requireScope: "super:user", audit: "org_change_quota_limit" })
      .delete(`${O}/:quota_id/limit/:limit_id`, async ({ caller, params, set, audit }) => {
        const ns = await manageable(caller, params.orgname);
        const quota = await quotaOf(ctx, ns.id, params.quota_id);
        const limit = limitOf(quota, params.limit_id);
        await ctx.stores.quotas.deleteLimit(quota, limit);
        audit("org_delete_quota_limit", { namespace: ns.name }, { namespace: ns.name, limit_id: limit.id, type: limit.type, threshold_percent: limit.percent });
        set.status = 204;
        return "";
      }, { nickname: "deleteOrganizationQuotaLimit", requireScope: "super:user", audit: "org_delete_quota_limit" })
      // The caller's own namespace: read only (superusers set user quotas, superuserQuota.ts).
      .get(U, async ({ user }) => {
        const quota = await ctx.stores.quotas.ofNamespace(await own(user.username));
        return quota ? [quotaView(quota)] : [];
      }, { nickname: "listUserQuota", requireUserAdmin: true })
      .get(`${U}/:quota_id`, async ({ user, params }) => quotaView(await quotaOf(ctx, await own(user.username), params.quota_id)), {
        nickname: "getUserQuota",
        requireUserAdmin: true,
      })
      .get(`${U}/:quota_id/limit`, async ({ user, params }) => (await quotaOf(ctx, await own(user.username), params.quota_id)).limits.map(limitView), {
        nickname: "listUserQuotaLimit",
        requireUserAdmin: true,
      })
      .get(`${U}/:quota_id/limit/:limit_id`, async ({ user, params }) => {
        const quota = await quotaOf(ctx, await own(user.username), params.quota_id);
        limitOf(quota, params.limit_id);
        // Quay answers with the quota here too.
        return quotaView(quota);
      }, { nickname: "getUserQuotaLimit", requireUserAdmin: true })
  );
}
