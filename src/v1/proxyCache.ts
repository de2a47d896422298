// Proxy-cache organizations (Quay's endpoints/api/organization.py: OrganizationProxyCacheConfig
// and ProxyCacheConfigValidation): GET (org members), POST and DELETE (org admins), and
// `validateproxycache` (org admins), with Quay's answers: "Created"/"Deleted" with 201,
// "Valid"/"Anonymous" with 202, and a view whose fields are "" when the org is no cache.
// Credentials are stored encrypted and never shown back. The pulls are src/proxy.
import { Type } from "@sinclair/typebox";
import type { V1App } from "./app";
import { isSignedIn } from "./caller";
import { parseBody } from "./body";
import type { V1Context } from "./context";
import { ApiError } from "./errors";
import { orgStanding } from "./guards";
import { jsonResponse } from "./views";
import type { ProxyCacheConfig } from "../store/meta/proxyCaches";
import { DEFAULT_PROXY_CACHE_EXPIRATION_S } from "../store/tables/proxyCaches";

// Quay's NewProxyCacheConfig requires only upstream_registry; the rest are read from the body as
// its handler does (upstream_registry is a CharField(max_length=270), credentials 4096).
const NewProxyCacheConfig = Type.Object({
  upstream_registry: Type.String({ minLength: 1, maxLength: 270 }),
  upstream_registry_username: Type.Optional(Type.Union([Type.String({ maxLength: 4096 }), Type.Null()])),
  upstream_registry_password: Type.Optional(Type.Union([Type.String({ maxLength: 4096 }), Type.Null()])),
  expiration_s: Type.Optional(Type.Union([Type.Integer({ minimum: 0, maximum: 2 ** 31 - 1 }), Type.Null()])),
  insecure: Type.Optional(Type.Union([Type.Boolean(), Type.Null()])),
});

const SSRF_GENERIC_ERROR = "The provided registry location is not allowed";

/** Quay's proxy_cache_view: "" for every field when there is no configuration. */
function proxyCacheView(c: ProxyCacheConfig | undefined) {
  return { upstream_registry: c?.upstreamRegistry ?? "", expiration_s: c?.expirationS ?? "", insecure: c?.insecure ?? "" };
}

export function proxyCacheRoutes(api: V1App, ctx: V1Context) {
  const R = "/api/v1/organization/:orgname/proxycache";
  const admin = { requireOrgAdmin: true } as const;
  /** Quay's _validate_upstream_registry (Berth says which rule refused, the admin set it up). */
  const checkUpstream = (upstream: string) => {
    const why = ctx.proxyCaches.checkUpstream(upstream);
    if (why) throw ApiError.invalidRequest(`${SSRF_GENERIC_ERROR}: ${why}`);
  };
  const refuseExisting = async (namespace: string) => {
    if (await ctx.stores.proxyCaches.forOrg(namespace)) throw ApiError.invalidRequest("Proxy Cache Configuration already exists");
  };

  return api
    .get(
      R,
      async ({ caller, params }) => {
        // Quay's OrganizationMemberPermission (or a superuser): members see the configuration.
        const s = await orgStanding(ctx, caller, params.orgname);
        if (!s.canReadAsMember && !s.isAdmin) throw ApiError.unauthorized(isSignedIn(caller));
        if (!s.ns) throw ApiError.notFound();
        return proxyCacheView(await ctx.stores.proxyCaches.forOrg(s.ns.name));
      },
      { nickname: "getProxyCacheConfig" },
    )
    .post(
      R,
      async ({ org, body, audit }) => {
        const b = parseBody(NewProxyCacheConfig, body);
        await refuseExisting(org.ns.name);
        if (await ctx.stores.proxyCaches.hasImmutableTags(org.ns.id)) throw ApiError.invalidRequest("Cannot convert organization to proxy cache: immutable tags exist");
        checkUpstream(b.upstream_registry);
        const created = await ctx.stores.proxyCaches.create({
          namespaceId: org.ns.id,
          upstreamRegistry: b.upstream_registry,
          username: b.upstream_registry_username ?? null,
          password: b.upstream_registry_password ?? null,
          expirationS: b.expiration_s ?? DEFAULT_PROXY_CACHE_EXPIRATION_S,
          insecure: b.insecure ?? false,
        });
        if (!created) throw ApiError.invalidRequest("Error while creating Proxy cache configuration");
        audit("create_proxy_cache_config", { namespace: org.ns.name }, { upstream_registry: b.upstream_registry || null });
        return jsonResponse("Created", 201);
      },
      { nickname: "createProxyCacheConfig", ...admin, audit: "create_proxy_cache_config" },
    )
    .delete(
      R,
      async ({ org, audit }) => {
        if (!(await ctx.stores.proxyCaches.forOrg(org.ns.name))) throw ApiError.notFound();
        if (!(await ctx.stores.proxyCaches.delete(org.ns.id))) throw ApiError.invalidRequest("Proxy Cache Configuration failed to delete");
        audit("delete_proxy_cache_config", { namespace: org.ns.name });
        return jsonResponse("Deleted", 201);
      },
      { nickname: "deleteProxyCacheConfig", ...admin, audit: "delete_proxy_cache_config" },
    )
    .post(
      "/api/v1/organization/:orgname/validateproxycache",
      async ({ org, body }) => {
        await refuseExisting(org.ns.name);
        const b = parseBody(NewProxyCacheConfig, body);
        checkUpstream(b.upstream_registry);
        let answer: "valid" | "anonymous";
        try {
          answer = await ctx.proxyCaches.validate({
            upstreamRegistry: b.upstream_registry,
            insecure: b.insecure ?? false,
            username: b.upstream_registry_username,
            password: b.upstream_registry_password,
          });
        } catch (e) {
          const status = (e as { status?: number }).status;
          if (status === 401 || status === 403) throw ApiError.invalidRequest("Failed login to remote registry. Please verify entered details and try again.");
          throw ApiError.invalidRequest("Failed to validate Proxy cache configuration");
        }
        return jsonResponse(answer === "valid" ? "Valid" : "Anonymous", 202);
      },
      { nickname: "validateProxyCacheConfig", ...admin },
    );
}
