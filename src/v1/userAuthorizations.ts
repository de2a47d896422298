// The OAuth applications a user authorized (Quay's /user/authorizations): one entry per access
// token issued through an application, which the user can inspect and revoke. Tokens minted
// without an application (`berth token create`) are not authorizations; the CLI revokes those.
import type { V1App } from "./app";
import type { OAuthApplicationRow, OAuthTokenInfo } from "../store/meta/oauth";
import type { V1Context } from "./context";
import { ApiError } from "./errors";
import { scopeInformation } from "./scopeInfo";
import { avatar, orgAvatar } from "./views";

/** How Quay shows an application to the user it asks for access (authorizations, assignments). */
export async function applicationSummary(ctx: V1Context, app: OAuthApplicationRow) {
  const org = await ctx.stores.namespaces.byId(app.namespaceId);
  const orgName = org?.name ?? "";
  return {
    name: app.name,
    description: app.description,
    url: app.applicationUri,
    avatar: avatar(app.name, "app", app.avatarEmail || org?.email),
    organization: { name: orgName, avatar: orgAvatar({ name: orgName, email: org?.email }) },
  };
}

export function userAuthorizationRoutes(api: V1App, ctx: V1Context) {
  /** Quay's authorization_view, or undefined when the token has no (longer an) application. */
  const view = async (t: OAuthTokenInfo) => {
    const app = t.applicationId === null ? undefined : await ctx.stores.oauth.applications.byId(t.applicationId);
    if (!app) return undefined;
    return { application: await applicationSummary(ctx, app), scopes: scopeInformation(t.scopes.join(" ")), uuid: t.uuid };
  };

  /** The caller's authorization with this uuid; another user's token is as unknown as none. */
  const find = async (userId: number, uuid: string) => {
    const token = await ctx.stores.oauth.tokens.byUuid(uuid);
    const found = token && token.userId === userId ? await view(token) : undefined;
    if (!found) throw ApiError.notFound();
    return found;
  };

  const self = { internal: true, requireUserAdmin: true } as const;
  return (
    api
      .get(
        "/api/v1/user/authorizations",
        async ({ user }) => ({ authorizations: (await Promise.all((await ctx.stores.oauth.tokens.listForUser(user.id)).map(view))).flatMap((v) => v ?? []) }),
        { nickname: "listUserAuthorizations", ...self },
      )
      .get("/api/v1/user/authorizations/:access_token_uuid", ({ user, params }) => find(user.id, params.access_token_uuid), {
        nickname: "getUserAuthorization",
        ...self,
      })
      // Revoking writes no audit entry, as Quay's deleteUserAuthorization. The token stops at the next request.
      .delete(
        "/api/v1/user/authorizations/:access_token_uuid",
        async ({ user, params }) => {
          await find(user.id, params.access_token_uuid);
          await ctx.stores.oauth.tokens.revoke(params.access_token_uuid);
          return new Response(null, { status: 204 });
        },
        { nickname: "deleteUserAuthorization", ...self },
      )
  );
}
