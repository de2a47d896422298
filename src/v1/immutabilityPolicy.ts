// Immutability policies (Quay's endpoints/api/immutability_policy.py): a namespace's
// (`/organization/<org>/immutabilitypolicy/`, a user's own namespace by its name too) and a
// repository's (`/repository/<repo>/immutabilitypolicy/`). A tag whose name the pattern matches
// whole (or, with tagPatternMatches false, does not match) is immutable from its push, creation,
// move or restore on; creating or changing a policy also marks the live tags it names, as Quay
// does. Namespace or repository admins manage them; read-only superusers read them.
import { Type } from "@sinclair/typebox";
import type { V1App } from "./app";
import type { AuditFn } from "./audit";
import { parseBody } from "./body";
import type { V1Context } from "./context";
import { ApiError } from "./errors";
import { refusalError } from "./registryRefusals";
import { namespaceTarget, repoTarget, type PolicyTarget } from "./policyTargets";
import { checkImmutabilityPolicy, type ImmutabilityRule } from "../registry/policy/immutabilityRules";
import { MAX_POLICIES_PER_SCOPE, tooManyPolicies } from "../registry/policy/policyBounds";
import type { StoredImmutabilityPolicy } from "../store/meta/immutabilityPolicies";

// Quay's ImmutabilityPolicyConfig schema.
const PolicyBody = Type.Object({ tagPattern: Type.String(), tagPatternMatches: Type.Optional(Type.Boolean()) });

const DUPLICATE = "A policy with the same tag_pattern already exists";

const view = (p: StoredImmutabilityPolicy) => ({ uuid: p.uuid, tagPattern: p.tagPattern, tagPatternMatches: p.tagPatternMatches });
const logKeys = (r: ImmutabilityRule) => ({ tag_pattern: r.tagPattern, tag_pattern_matches: r.tagPatternMatches });

export function immutabilityPolicyRoutes(api: V1App, ctx: V1Context) {
  const store = ctx.stores.immutabilityPolicies;

  /** The body as a rule: Quay's schema, the pattern trimmed, then its checks. */
  const ruleOf = (body: unknown): ImmutabilityRule => {
    const b = parseBody(PolicyBody, body);
    const tagPattern = b.tagPattern.trim();
    const problem = checkImmutabilityPolicy(tagPattern);
    if (problem) throw ApiError.invalidRequest(problem.message, { field: problem.field });
    return { tagPattern, tagPatternMatches: b.tagPatternMatches ?? true };
  };

  const find = async (t: PolicyTarget, uuid: string) => {
    const found = await store.get(t.scope, uuid);
    if (!found) throw ApiError.notFound();
    return found;
  };

  /**
   * The tags already there that the rule names become immutable (Quay applies policies
   * retroactively); `undo` puts the policy back as it was when that fails.
   */
  const applyToExisting = async (t: PolicyTarget, rule: ImmutabilityRule, audit: AuditFn, undo: () => Promise<unknown>) => {
    let outcome: Awaited<ReturnType<typeof ctx.registry.applyImmutabilityPolicy>>;
    try {
      outcome = await ctx.registry.applyImmutabilityPolicy({ target: t.scope, rule });
    } catch (e) {
      await undo();
      throw e;
    }
    if (outcome.kind !== "ok") {
      await undo();
      throw refusalError(outcome);
    }
    const { marked } = outcome;
    if (marked > 0) audit("tags_made_immutable_by_policy", t.audit, { ...logKeys(rule), count: marked });
  };

  const create = async (t: PolicyTarget, body: unknown, set: { status?: number | string }, audit: AuditFn) => {
    const rule = ruleOf(body);
    const made = await store.create(t.scope, rule, MAX_POLICIES_PER_SCOPE);
    if (made.kind === "tooMany") throw ApiError.invalidRequest(tooManyPolicies(t.repository));
    if (made.kind !== "ok") throw ApiError.invalidRequest(DUPLICATE);
    await applyToExisting(t, rule, audit, () => store.delete(t.scope, made.uuid));
    audit("create_immutability_policy", t.audit, logKeys(rule));
    set.status = 201;
    return { uuid: made.uuid };
  };

  const update = async (t: PolicyTarget, uuid: string, body: unknown, audit: AuditFn) => {
    const rule = ruleOf(body);
    const before = await find(t, uuid);
    const changed = await store.update(t.scope, uuid, rule);
    if (changed.kind === "missing") throw ApiError.notFound();
    if (changed.kind === "duplicate") throw ApiError.invalidRequest(DUPLICATE);
    await applyToExisting(t, rule, audit, () => store.update(t.scope, uuid, before));
    audit("update_immutability_policy", t.audit, logKeys(rule));
    return new Response(null, { status: 204 });
  };

  const remove = async (t: PolicyTarget, uuid: string, audit: AuditFn) => {
    // Tags it made immutable stay so (Quay): lifting that is a tag change, by a repository admin.
    if (!await store.delete(t.scope, uuid)) throw ApiError.notFound();
    audit("delete_immutability_policy", t.audit, { policy_uuid: uuid });
    return { uuid };
  };

  const O = "/api/v1/organization/:orgname/immutabilitypolicy/";
  const R = "/api/v1/repository/:repository/immutabilitypolicy/";
  const nsAdmin = { requireNamespaceAdmin: true } as const;
  const nsRead = { requireNamespaceAdmin: { allowForGlobalReadonlySuperuser: true } } as const;
  const repoAdmin = { requireRepoAdmin: true } as const;
  const repoRead = { requireRepoAdmin: { allowForGlobalReadonlySuperuser: true } } as const;
  const writes = ["create_immutability_policy", "tags_made_immutable_by_policy"] as const;
  const updates = ["update_immutability_policy", "tags_made_immutable_by_policy"] as const;
  return (
    api
      .get(O, async ({ org }) => ({ policies: (await store.list(namespaceTarget(org.ns).scope)).map(view) }), { nickname: "listOrgImmutabilityPolicies", ...nsRead })
      .post(O, ({ org, body, set, audit }) => create(namespaceTarget(org.ns), body, set, audit), { nickname: "createOrgImmutabilityPolicy", ...nsAdmin, audit: writes })
      .get(`${O}:policy_uuid`, async ({ org, params }) => view(await find(namespaceTarget(org.ns), params.policy_uuid)), { nickname: "getOrgImmutabilityPolicy", ...nsRead })
      .put(`${O}:policy_uuid`, ({ org, params, body, audit }) => update(namespaceTarget(org.ns), params.policy_uuid, body, audit), {
        nickname: "updateOrgImmutabilityPolicy",
        ...nsAdmin,
        audit: updates,
      })
      .delete(`${O}:policy_uuid`, ({ org, params, audit }) => remove(namespaceTarget(org.ns), params.policy_uuid, audit), {
        nickname: "deleteOrgImmutabilityPolicy",
        ...nsAdmin,
        audit: "delete_immutability_policy",
      })
      .get(R, async ({ repo }) => ({ policies: (await store.list((await repoTarget(ctx, repo)).scope)).map(view) }), { nickname: "listRepositoryImmutabilityPolicies", ...repoRead })
      .post(R, async ({ repo, body, set, audit }) => create(await repoTarget(ctx, repo), body, set, audit), { nickname: "createRepositoryImmutabilityPolicy", ...repoAdmin, audit: writes })
      .get(`${R}:policy_uuid`, async ({ repo, params }) => view(await find(await repoTarget(ctx, repo), params.policy_uuid)), { nickname: "getRepositoryImmutabilityPolicy", ...repoRead })
      .put(`${R}:policy_uuid`, async ({ repo, params, body, audit }) => update(await repoTarget(ctx, repo), params.policy_uuid, body, audit), {
        nickname: "updateRepositoryImmutabilityPolicy",
        ...repoAdmin,
        audit: updates,
      })
      .delete(`${R}:policy_uuid`, async ({ repo, params, audit }) => remove(await repoTarget(ctx, repo), params.policy_uuid, audit), {
        nickname: "deleteRepositoryImmutabilityPolicy",
        ...repoAdmin,
        audit: "delete_immutability_policy",
      })
  );
}
