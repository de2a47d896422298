import { Type } from "@sinclair/typebox";
import type { V1App } from "./app";
import { appTokenLookup, hashAppTokenCode, newAppTokenCode } from "../auth/appTokenCode";
import type { AppTokenRow } from "../store/meta/appTokens";
import { parseBody } from "./body";
import type { V1Context } from "./context";
import { ApiError } from "./errors";
import { truthy } from "./query";
import { rfc2822 } from "./views";

// App-specific tokens (reference §2.9): passwords for `docker login` as `$app`, one per tool,
// revocable one by one. Only a hash of the code is kept, so the code is shown once, at creation
// (Quay shows it again on GET one; Berth cannot).

const NewToken = Type.Object({ title: Type.String({ maxLength: 255 }) });

/** Quay's window for "expiring soon" when no lifetime is configured: a tenth of four weeks. */
const EXPIRING_WINDOW_MS = Math.ceil(0.1 * 28 * 24 * 3600) * 1000;

const date = (ms: number | null) => (ms === null ? null : rfc2822(ms));

function tokenView(t: AppTokenRow, code?: string) {
  return {
    uuid: t.uuid,
    title: t.title,
    last_accessed: date(t.lastAccessedMs),
    created: date(t.createdMs),
    expiration: date(t.expiresMs),
    ...(code !== undefined ? { token_code: code } : {}),
  };
}

/** Quay's metadata for the token's entries (the code itself never appears). */
const tokenLogKeys = (t: AppTokenRow) => ({ app_specific_token_title: t.title, app_specific_token: t.uuid });

export function appTokenRoutes(api: V1App, ctx: V1Context) {
  const own = async (userId: number, uuid: string) => {
    const row = await ctx.stores.appTokens.byUuid(uuid);
    if (!row || row.userId !== userId) throw ApiError.notFound();
    return row;
  };

  return api
    .get(
      "/api/v1/user/apptoken",
      async ({ user, query }) => {
        const expiring = query.expiring === undefined ? null : truthy(query.expiring);
        const now = Date.now();
        const tokens = (await ctx.stores.appTokens.listFor(user.id)).filter((t) => !expiring || (t.expiresMs !== null && t.expiresMs > now && t.expiresMs <= now + EXPIRING_WINDOW_MS));
        return { tokens: tokens.map((t) => tokenView(t)), only_expiring: expiring };
      },
      { nickname: "listAppTokens", requireUserAdmin: true },
    )
    .post(
      "/api/v1/user/apptoken",
      async ({ user, body, audit }) => {
        const { title } = parseBody(NewToken, body);
        const code = newAppTokenCode();
        // No lifetime: Quay's APP_SPECIFIC_TOKEN_EXPIRATION defaults to none.
        const row = await ctx.stores.appTokens.create(user.id, title, appTokenLookup(code), hashAppTokenCode(code), null);
        audit("create_app_specific_token", { namespace: user.username }, tokenLogKeys(row));
        return { token: tokenView(row, code) };
      },
      { nickname: "createAppToken", requireUserAdmin: true, requireFreshLogin: true, requireSessionLogin: true, audit: "create_app_specific_token" },
    )
    .get("/api/v1/user/apptoken/:token_uuid", async ({ user, params }) => ({ token: tokenView(await own(user.id, params.token_uuid)) }), {
      nickname: "getAppToken",
      requireUserAdmin: true,
      requireFreshLogin: true,
    })
    .delete(
      "/api/v1/user/apptoken/:token_uuid",
      async ({ user, params, set, audit }) => {
        // Read first: the entry names the token by its title, which goes with the row.
        const row = await own(user.id, params.token_uuid);
        // The authenticator re-reads the row behind every cached `$app` login, so this ends it at once.
        if (!await ctx.stores.appTokens.revoke(user.id, row.uuid)) throw ApiError.notFound();
        audit("revoke_app_specific_token", { namespace: user.username }, tokenLogKeys(row));
        set.status = 204;
        return "";
      },
      { nickname: "revokeAppToken", requireUserAdmin: true, requireFreshLogin: true, audit: "revoke_app_specific_token" },
    );
}
