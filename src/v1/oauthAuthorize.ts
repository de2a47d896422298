// Quay's OAuth implicit grant for scripts: a signed-in user authorizes an organization's
// application (POST /oauth/authorizeapp) and gets a bearer token in the redirect's fragment; an
// org admin can ask another user to do so (POST /oauth/authorize/assignuser), and that user sees
// the request under /api/v1/user/assignedauthorization.
import type { V1App } from "./app";
import { errorRedirect, LOCAL_OAUTH_HANDLER, redirectAllowed, tokenRedirect } from "../auth/oauthRedirect";
import { parseScopes } from "../auth/oauthScopeNames";
import type { OAuthApplicationRow } from "../store/meta/oauth";
import { isSignedIn, type Caller } from "./caller";
import type { V1Context } from "./context";
import { ApiError } from "./errors";
import { scopeInformation } from "./scopeInfo";
import { applicationSummary } from "./userAuthorizations";

/** Quay issues implicit-grant tokens for ten years. */
export const OAUTH_TOKEN_LIFETIME_S = 10 * 365 * 24 * 3600;

type Fields = Record<string, string | undefined>;

/** Form fields, a JSON body, or (as Quay's UI sends assignuser) the query string. */
function fieldsOf(body: unknown, query: Fields): Fields {
  const fromBody = body && typeof body === "object" ? (body as Record<string, unknown>) : {};
  const out: Fields = { ...query };
  for (const [k, v] of Object.entries(fromBody)) if (typeof v === "string") out[k] = v;
  return out;
}

function redirect(location: string): Response {
  return new Response(null, { status: 302, headers: { Location: location } });
}

export function oauthAuthorizeRoutes(api: V1App, ctx: V1Context) {
  const localHandler = (request: Request) => `${new URL(ctx.config.publicUrl ?? request.url).origin}${LOCAL_OAUTH_HANDLER}`;

  /** The application and a redirect it may use; Quay's errors before any redirect is trusted. */
  const clientAndRedirect = async (f: Fields, request: Request): Promise<{ app: OAuthApplicationRow; redirectUri: string } | Response> => {
    const app = f.client_id ? await ctx.stores.oauth.applications.byClientId(f.client_id) : undefined;
    if (!app) throw new ApiError("OAuthUnknownApplication");
    const redirectUri = f.redirect_uri ?? "";
    if (!redirectAllowed(app.redirectUri, redirectUri, localHandler(request))) {
      if (app.redirectUri) return redirect(`${app.redirectUri}${app.redirectUri.includes("?") ? "&" : "?"}error=redirect_uri_mismatch`);
      throw new ApiError("OAuthBadRequest", "redirect_uri_mismatch");
    }
    return { app, redirectUri };
  };

  const signedInUser = (caller: Caller) => {
    if (!isSignedIn(caller) || caller.identity.kind !== "user") throw new ApiError("OAuthSignInRequired");
    return caller.identity.user;
  };

  return api
    // No audit entry for the token it issues: Quay's implicit grant (get_token_response) records none.
    .post("/oauth/authorizeapp", async ({ caller, body, query, request }) => {
      const user = signedInUser(caller);
      const f = fieldsOf(body, query);
      const found = await clientAndRedirect(f, request);
      if (found instanceof Response) return found;
      const { app, redirectUri } = found;
      if ((f.response_type ?? "token") !== "token") return redirect(errorRedirect(redirectUri, "unsupported_response_type"));
      const minted = await ctx.oauth.mint(user.id, f.scope ?? "", { applicationId: app.id, lifetimeMs: OAUTH_TOKEN_LIFETIME_S * 1000 });
      if (!minted.ok) return redirect(errorRedirect(redirectUri, minted.reason === "badScopes" ? "invalid_scope" : "access_denied"));
      // Authorizing what an admin assigned settles the assignment.
      if (f.assignment_uuid) await ctx.stores.oauth.assignments.delete(user.id, f.assignment_uuid);
      return redirect(tokenRedirect(redirectUri, minted.token, OAUTH_TOKEN_LIFETIME_S));
    }, { requireSessionLogin: true })
    .post("/oauth/authorize/assignuser", async ({ caller, body, query, request, audit }) => {
      const assigner = signedInUser(caller);
      const f = fieldsOf(body, query);
      const found = await clientAndRedirect(f, request);
      if (found instanceof Response) return found;
      const { app, redirectUri } = found;
      const org = await ctx.stores.teams.teamRolesOf(app.namespaceId, { userId: assigner.id });
      if (!org.includes("admin")) throw ApiError.unauthorized(true);
      if ((f.response_type ?? "token") !== "token") throw ApiError.invalidRequest("Only response_type=token is supported", { field: "response_type" });
      const scopes = parseScopes(f.scope ?? "");
      if (!scopes.ok) throw ApiError.invalidRequest(`scope: ${scopes.error}`, { field: "scope" });
      const assigned = f.username ? await ctx.stores.users.byName(f.username) : undefined;
      if (!assigned) throw ApiError.invalidRequest("Invalid username", { field: "username" });
      await ctx.stores.oauth.assignments.create({
        applicationId: app.id,
        assignedUserId: assigned.id,
        assignerUserId: assigner.id,
        redirectUri,
        scope: scopes.scopes.join(" "),
        responseType: "token",
      });
      const orgName = (await ctx.stores.namespaces.byId(app.namespaceId))?.name;
      const metadata = { assigning_user: assigner.username, assigned_user: assigned.username, application: app.name, client_id: app.clientId };
      audit("oauth_token_assigned", { namespace: orgName }, metadata);
      return { message: "Token assigned successfully" };
    }, { requireSessionLogin: true, audit: "oauth_token_assigned" })
    .get("/oauth/localapp", () => new Response(LOCAL_HANDLER_PAGE, { headers: { "Content-Type": "text/html; charset=utf-8" } }))
    .get(
      "/api/v1/user/assignedauthorization",
      async ({ user }) => ({
        authorizations: (await Promise.all((await ctx.stores.oauth.assignments.listFor(user.id)).map(async (a) => {
          const app = await ctx.stores.oauth.applications.byId(a.applicationId);
          if (!app) return [];
          return [
            {
              uuid: a.uuid,
              application: { ...await applicationSummary(ctx, app), clientId: app.clientId },
              scopes: scopeInformation(a.scope),
              responseType: a.responseType,
              redirectUri: a.redirectUri,
            },
          ];
        }))).flat(),
      }),
      { nickname: "listAssignedAuthorizations", requireUserAdmin: true },
    )
    .delete(
      "/api/v1/user/assignedauthorization/:assigned_authorization_uuid",
      async ({ user, params }) => {
        if (!await ctx.stores.oauth.assignments.delete(user.id, params.assigned_authorization_uuid)) throw ApiError.notFound();
        return new Response(null, { status: 204 });
      },
      // No audit entry: Quay's deleteAssignedAuthorization records none.
      { nickname: "deleteAssignedAuthorization", requireUserAdmin: true },
    );
}

// Quay's LOCAL_OAUTH_HANDLER page: shows the token from the fragment (it never reaches a server).
const LOCAL_HANDLER_PAGE = `<!doctype html><meta charset="utf-8"><title>Berth: access token</title>
<p id="out">No token in this page's address.</p>
<script>
const p = new URLSearchParams(location.hash.slice(1));
const out = document.getElementById("out");
if (p.get("access_token")) out.textContent = "Access token: " + p.get("access_token");
else if (p.get("error")) out.textContent = "Authorization failed: " + p.get("error");
</script>`;
