// Quay's endpoint decorators as Elysia macros. A route states what it is and who may call it:
//   .get("/api/v1/repository/:repository/tag/", handler,
//        { nickname: "listRepoTags", requireRepoRead: { allowForGlobalReadonlySuperuser: true } })
// Each macro both enforces its rule and writes it into the route's `detail`, which is what
// /api/v1/discovery reads: the route table is the only description of the API.
import type { DocumentDecoration } from "elysia";
import type { RepoRole } from "../perm/roles";
import type { Caller } from "./caller";
import type { V1Context } from "./context";
import {
  requireFreshLogin,
  requireNamespaceAdmin,
  requireOrgAdmin,
  requireRepoStanding,
  requireScope,
  requireSessionLogin,
  requireSuperuser,
  requireUser,
  type OAuthScopeName,
} from "./guards";
import { auditFor, auditRecorded } from "./audit";
import type { LogKind } from "../audit/logKinds";

export interface GuardOptions {
  /** Global read-only superusers may call this with GET (Quay's allow_for_global_readonly_superuser). */
  allowForGlobalReadonlySuperuser?: boolean;
}

type Params = Record<string, string | undefined>;
interface GuardContext {
  caller?: Caller;
  params: Params;
  request: Request;
  body?: unknown;
}

/** requireSessionLogin: for the whole method, or only when the body sends one of these fields. */
export type SessionLoginRule = true | { bodyFields: readonly string[] };

const sendsAny = (body: unknown, fields: readonly string[]) =>
  typeof body === "object" && body !== null && fields.some((f) => (body as Record<string, unknown>)[f] !== undefined);

/** Route metadata for discovery; Elysia types `detail` as OpenAPI's, which has no `x-` keys. */
const doc = (d: Record<string, unknown>) => d as DocumentDecoration;
const security = (scope: OAuthScopeName) => ({ security: [{ oauth2_implicit: [scope] }] });
const options = (o: true | GuardOptions): GuardOptions => (o === true ? {} : o);

function callerOf(c: GuardContext): Caller {
  if (!c.caller) throw new Error("API v1 route outside the API v1 app (src/v1/app.ts)");
  return c.caller;
}

/** The macros of the API v1 app (src/v1/app.ts): route options that state Quay's decorators. */
export function v1Macros(ctx: V1Context) {
  const repoGuard = (role: RepoRole, scope: OAuthScopeName) => (o: true | GuardOptions) => ({
    detail: doc({ ...security(scope), "x-repo-role": role }),
    resolve: async (c: GuardContext) => ({
      repo: await requireRepoStanding(ctx, callerOf(c), c.params.repository ?? "", role, scope, {
        allowForGlobalReadonlySuperuser: options(o).allowForGlobalReadonlySuperuser === true && c.request.method === "GET",
      }),
    }),
  });
  const userGuard = (scope: "user:read" | "user:admin") => (on: boolean) => ({
    detail: doc(security(scope)),
    resolve: (c: GuardContext) => {
      const caller = callerOf(c);
      const user = requireUser(caller);
      if (on) requireScope(caller, scope);
      return { user };
    },
  });

  const adminGuard = (check: typeof requireOrgAdmin) => (o: true | GuardOptions) => ({
    detail: doc({ ...security("org:admin"), "x-org-role": "admin" }),
    resolve: async (c: GuardContext) => {
      const caller = callerOf(c);
      requireScope(caller, "org:admin");
      const readOnly = options(o).allowForGlobalReadonlySuperuser === true && c.request.method === "GET";
      return { org: await check(ctx, caller, c.params.orgname ?? "", readOnly) };
    },
  });

  return {
    /** Quay's nickname: the Swagger operationId. */
    nickname: (operationId: string) => ({ detail: { operationId } }),
    /** Listed in discovery only with ?internal=true. */
    internal: (on: boolean) => ({ detail: doc({ "x-internal": on }) }),
    requireRepoRead: repoGuard("read", "repo:read"),
    requireRepoWrite: repoGuard("write", "repo:write"),
    requireRepoAdmin: repoGuard("admin", "repo:admin"),
    /** Admin of the organization named by `:orgname` (an admin-team member). */
    requireOrgAdmin: adminGuard(requireOrgAdmin),
    /** requireOrgAdmin where `:orgname` may also be a user's namespace, which its user administers (Quay's rule). */
    requireNamespaceAdmin: adminGuard(requireNamespaceAdmin),
    /** The caller's own account, read (user:read) or administered (user:admin). */
    requireUserRead: userGuard("user:read"),
    requireUserAdmin: userGuard("user:admin"),
    requireFreshLogin: (on: boolean) => ({
      detail: doc({ "x-requires-fresh-login": on }),
      beforeHandle: (c: GuardContext) => {
        if (on) requireFreshLogin(callerOf(c));
      },
    }),
    /**
     * Bearer tokens never mint, widen or renew credentials: only a session may call this (or, with
     * `{ bodyFields }`, send these fields). Quay's require_session_login.
     */
    requireSessionLogin: (rule: SessionLoginRule) => ({
      detail: doc({ "x-requires-session-login": rule === true ? true : { "body-fields": rule.bodyFields } }),
      beforeHandle: (c: GuardContext) => {
        if (rule === true || sendsAny(c.body, rule.bodyFields)) requireSessionLogin(callerOf(c));
      },
    }),
    /** Any superuser for reads (read-only ones included), a real superuser for writes. */
    requireSuperuser: (mode: "read" | "write") => ({
      detail: doc({ ...security("super:user"), "x-superuser": mode }),
      beforeHandle: (c: GuardContext) => requireSuperuser(ctx, callerOf(c), mode),
    }),
    /** The audit log kinds this write records; gives the handler `audit(kind, target, metadata)`. */
    audit: (kinds: LogKind | readonly LogKind[]) => {
      const declared = typeof kinds === "string" ? [kinds] : kinds;
      return {
        detail: doc({ "x-log-kinds": declared }),
        resolve: (c: GuardContext) => ({ audit: auditFor(ctx, callerOf(c), c.request, declared) }),
        afterHandle: (c: GuardContext) => auditRecorded(c.request),
      };
    },
    /** An OAuth scope the route needs beyond what its other guards check. */
    requireScope: (scope: OAuthScopeName) => ({
      detail: doc(security(scope)),
      beforeHandle: (c: GuardContext) => requireScope(callerOf(c), scope),
    }),
  };
}
