// Auto-prune policies (Quay's endpoints/api/policy.py): a user's (`/user/autoprunepolicy/`), an
// organization's (`/organization/<org>/autoprunepolicy/`, also a user's own namespace by name, as
// in Quay) and a repository's (`/repository/<repo>/autoprunepolicy/`). Namespace admins and
// repository admins manage them; global read-only superusers read them; superusers with full
// access do both. The lifecycle's auto-prune pass applies them (src/registry/lifecycle).
import { Type } from "@sinclair/typebox";
import type { V1App } from "./app";
import type { AuditFn } from "./audit";
import { parseBody } from "./body";
import type { V1Context } from "./context";
import { ApiError } from "./errors";
import { namespaceTarget, repoTarget, userTarget, type PolicyTarget } from "./policyTargets";
import { checkAutoPrunePolicy, type AutoPruneConfig } from "../registry/policy/autoPruneRules";
import { MAX_POLICIES_PER_SCOPE, tooManyPolicies } from "../registry/policy/policyBounds";
import type { StoredAutoPrunePolicy } from "../store/meta/autoPrunePolicies";

// Quay's AutoPrunePolicyConfig schema: method and value required, value an integer or a string.
const PolicyBody = Type.Object({
  method: Type.String(),
  value: Type.Union([Type.Integer(), Type.String()]),
  tagPattern: Type.Optional(Type.String()),
  tagPatternMatches: Type.Optional(Type.Boolean()),
});

const NS_KINDS = { create: "create_namespace_autoprune_policy", update: "update_namespace_autoprune_policy", delete: "delete_namespace_autoprune_policy" } as const;
const REPO_KINDS = { create: "create_repository_autoprune_policy", update: "update_repository_autoprune_policy", delete: "delete_repository_autoprune_policy" } as const;

const view = (p: StoredAutoPrunePolicy) => ({ uuid: p.uuid, ...p.config });

/** Quay's log metadata for a created or updated policy. */
const logKeys = (c: AutoPruneConfig) => ({ method: c.method, value: c.value, tag_pattern: c.tagPattern, tag_pattern_matches: c.tagPatternMatches });

export function autoPrunePolicyRoutes(api: V1App, ctx: V1Context) {
  const store = ctx.stores.autoPrunePolicies;
  const kinds = (t: PolicyTarget) => (t.repository ? REPO_KINDS : NS_KINDS);

  /** The body as a policy: Quay's schema, then its checks (the pattern trimmed, as Quay strips it). */
  const configOf = (b: ReturnType<typeof parseSchema>): AutoPruneConfig => {
    const tagPattern = b.tagPattern === undefined ? null : b.tagPattern.trim();
    const problem = checkAutoPrunePolicy({ method: b.method, value: b.value, tagPattern });
    if (problem) throw ApiError.invalidRequest(problem.message, { field: problem.field });
    return { method: b.method as AutoPruneConfig["method"], value: b.value, tagPattern, tagPatternMatches: b.tagPatternMatches ?? true };
  };
  const parseSchema = (body: unknown) => parseBody(PolicyBody, body);

  const find = async (t: PolicyTarget, uuid: string) => {
    const found = await store.get(t.scope, uuid);
    if (!found) throw ApiError.notFound();
    return found;
  };

  const list = async (t: PolicyTarget) => ({ policies: (await store.list(t.scope)).map(view) });

  const create = async (t: PolicyTarget, body: unknown, set: { status?: number | string }, audit: AuditFn) => {
    const config = configOf(parseSchema(body));
    const made = await store.create(t.scope, config, MAX_POLICIES_PER_SCOPE);
    if (made.kind === "tooMany") throw ApiError.invalidRequest(tooManyPolicies(t.repository));
    if (made.kind === "duplicate") {
      throw ApiError.invalidRequest(`Existing policy with same values for this ${t.repository ? "repository" : "namespace"}, duplicate policies are not permitted`);
    }
    audit(kinds(t).create, t.audit, logKeys(config));
    set.status = 201;
    return { uuid: made.uuid };
  };

  const update = async (t: PolicyTarget, uuid: string, body: unknown, audit: AuditFn) => {
    // Quay's order: the body's shape, then the policy must exist, then its values.
    const b = parseSchema(body);
    await find(t, uuid);
    const config = configOf(b);
    if (!await store.update(t.scope, uuid, config)) throw ApiError.notFound();
    audit(kinds(t).update, t.audit, logKeys(config));
    return new Response(null, { status: 204 });
  };

  const remove = async (t: PolicyTarget, uuid: string, audit: AuditFn) => {
    if (!await store.delete(t.scope, uuid)) throw ApiError.notFound();
    audit(kinds(t).delete, t.audit, { policy_uuid: uuid });
    return { uuid };
  };

  const U = "/api/v1/user/autoprunepolicy/";
  const O = "/api/v1/organization/:orgname/autoprunepolicy/";
  const R = "/api/v1/repository/:repository/autoprunepolicy/";
  const self = { requireUserAdmin: true } as const;
  const nsAdmin = { requireNamespaceAdmin: true } as const;
  const nsRead = { requireNamespaceAdmin: { allowForGlobalReadonlySuperuser: true } } as const;
  const repoAdmin = { requireRepoAdmin: true } as const;
  const repoRead = { requireRepoAdmin: { allowForGlobalReadonlySuperuser: true } } as const;
  return (
    api
      // The signed-in user's namespace.
      .get(U, async ({ user }) => list(await userTarget(ctx, user)), { nickname: "listUserAutoPrunePolicies", ...self })
      .post(U, async ({ user, body, set, audit }) => create(await userTarget(ctx, user), body, set, audit), { nickname: "createUserAutoPrunePolicy", ...self, audit: NS_KINDS.create })
      .get(`${U}:policy_uuid`, async ({ user, params }) => view(await find(await userTarget(ctx, user), params.policy_uuid)), { nickname: "getUserAutoPrunePolicy", ...self })
      .put(`${U}:policy_uuid`, async ({ user, params, body, audit }) => update(await userTarget(ctx, user), params.policy_uuid, body, audit), {
        nickname: "updateUserAutoPrunePolicy",
        ...self,
        audit: NS_KINDS.update,
      })
      .delete(`${U}:policy_uuid`, async ({ user, params, audit }) => remove(await userTarget(ctx, user), params.policy_uuid, audit), {
        nickname: "deleteUserAutoPrunePolicy",
        ...self,
        audit: NS_KINDS.delete,
      })
      // An organization's (or, by name, a user's own) namespace.
      .get(O, ({ org }) => list(namespaceTarget(org.ns)), { nickname: "listOrganizationAutoPrunePolicies", ...nsRead })
      .post(O, ({ org, body, set, audit }) => create(namespaceTarget(org.ns), body, set, audit), {
        nickname: "createOrganizationAutoPrunePolicy",
        ...nsAdmin,
        audit: NS_KINDS.create,
      })
      .get(`${O}:policy_uuid`, async ({ org, params }) => view(await find(namespaceTarget(org.ns), params.policy_uuid)), { nickname: "getOrganizationAutoPrunePolicy", ...nsRead })
      .put(`${O}:policy_uuid`, ({ org, params, body, audit }) => update(namespaceTarget(org.ns), params.policy_uuid, body, audit), {
        nickname: "updateOrganizationAutoPrunePolicy",
        ...nsAdmin,
        audit: NS_KINDS.update,
      })
      .delete(`${O}:policy_uuid`, ({ org, params, audit }) => remove(namespaceTarget(org.ns), params.policy_uuid, audit), {
        nickname: "deleteOrganizationAutoPrunePolicy",
        ...nsAdmin,
        audit: NS_KINDS.delete,
      })
      // One repository's, applied on top of its namespace's.
      .get(R, async ({ repo }) => list(await repoTarget(ctx, repo)), { nickname: "listRepositoryAutoPrunePolicies", ...repoRead })
      .post(R, async ({ repo, body, set, audit }) => create(await repoTarget(ctx, repo), body, set, audit), {
        nickname: "createRepositoryAutoPrunePolicy",
        ...repoAdmin,
        audit: REPO_KINDS.create,
      })
      .get(`${R}:policy_uuid`, async ({ repo, params }) => view(await find(await repoTarget(ctx, repo), params.policy_uuid)), { nickname: "getRepositoryAutoPrunePolicy", ...repoRead })
      .put(`${R}:policy_uuid`, async ({ repo, params, body, audit }) => update(await repoTarget(ctx, repo), params.policy_uuid, body, audit), {
        nickname: "updateRepositoryAutoPrunePolicy",
        ...repoAdmin,
        audit: REPO_KINDS.update,
      })
      .delete(`${R}:policy_uuid`, async ({ repo, params, audit }) => remove(await repoTarget(ctx, repo), params.policy_uuid, audit), {
        nickname: "deleteRepositoryAutoPrunePolicy",
        ...repoAdmin,
        audit: REPO_KINDS.delete,
      })
  );
}
