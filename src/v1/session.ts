import type { Cookie } from "elysia";
import { callerFromRequest, SESSION_COOKIE, type SessionData } from "./caller";
import type { V1Context } from "./context";
import { randomToken } from "../secrets";
import { noteCaller } from "../requestNotes";
import { identityName } from "../auth/identity";

/** Elysia options the API v1 app and the root app share: the signed session cookie. */
export function v1Options(ctx: V1Context, name: string) {
  return { name, cookie: { secrets: ctx.cookieSecrets, sign: [SESSION_COOKIE] } };
}

/**
 * The first step of every API v1 request (src/v1/app.ts): `caller` from an OAuth bearer token or
 * the signed session cookie, and `saveSession`, `logIn` and `clearSession` for handlers.
 */
export async function sessionOf(ctx: V1Context, jar: Cookie<unknown>, request: Request, headers: Record<string, unknown>) {
  const policy = { lifetimeMs: ctx.config.sessionLifetimeSeconds * 1000, now: Date.now() };
  const caller = await callerFromRequest(request, jar.value as SessionData | undefined, ctx.stores.users, ctx.oauth, policy);
  if (caller.identity.kind !== "anonymous") noteCaller(request, identityName(caller.identity));
  const secure = request.url.startsWith("https:") || ctx.config.publicUrl?.startsWith("https:") === true;
  const cookie = { httpOnly: true, sameSite: "lax", secure, path: "/" } as const;
  return {
    caller,
    saveSession(data: SessionData) {
      jar.set({ value: data, ...cookie, maxAge: ctx.config.sessionLifetimeSeconds });
    },
    /**
     * Every login (sign-in, verify, sign-up, a new password, initialize): the session names the
     * user's current uuid and the login time, with a new CSRF token sent in X-Next-CSRF-Token
     * (the old token stops working).
     */
    logIn(userUuid: string) {
      const c = randomToken(48);
      jar.set({ value: { u: userUuid, t: Date.now(), c }, ...cookie, maxAge: ctx.config.sessionLifetimeSeconds });
      headers["X-Next-CSRF-Token"] = c;
    },
    clearSession() {
      jar.set({ value: "", ...cookie, maxAge: 0 });
    },
  };
}
