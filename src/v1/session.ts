import { Elysia } from "elysia";
import { callerFromRequest, SESSION_COOKIE, type SessionData } from "./caller";
import type { V1Context } from "./context";
import { randomToken } from "../secrets";
import { checkCsrf } from "./guards";

/** Elysia options every API v1 instance shares: the signed session cookie. */
export function v1Options(ctx: V1Context, name: string) {
  return { name, cookie: { secrets: ctx.cookieSecrets, sign: [SESSION_COOKIE] } };
}

/**
 * Derives `caller` from an OAuth bearer token or the signed session cookie, gives handlers
 * `saveSession`, `logIn` and `clearSession`, and enforces CSRF on every non-GET request it
 * authenticates.
 */
export function sessionPlugin(ctx: V1Context) {
  return new Elysia(v1Options(ctx, "berth-v1-session"))
    .derive({ as: "scoped" }, ({ cookie, request, set }) => {
      const jar = cookie[SESSION_COOKIE]!;
      const policy = { lifetimeMs: ctx.config.sessionLifetimeSeconds * 1000, now: Date.now() };
      const caller = callerFromRequest(request, jar.value as SessionData | undefined, ctx.stores.users, ctx.oauth, policy);
      const secure = request.url.startsWith("https:") || ctx.config.publicUrl?.startsWith("https:") === true;
      return {
        caller,
        saveSession(data: SessionData) {
          jar.set({ value: data, httpOnly: true, sameSite: "lax", secure, path: "/", maxAge: ctx.config.sessionLifetimeSeconds });
        },
        /**
         * Every login (sign-in, verify, sign-up, a new password, initialize): the session names the
         * user's current uuid and the login time, with a new CSRF token sent in X-Next-CSRF-Token
         * (the old token stops working).
         */
        logIn(userUuid: string) {
          const c = randomToken(48);
          jar.set({ value: { u: userUuid, t: Date.now(), c }, httpOnly: true, sameSite: "lax", secure, path: "/", maxAge: ctx.config.sessionLifetimeSeconds });
          set.headers["X-Next-CSRF-Token"] = c;
        },
        clearSession() {
          jar.set({ value: "", httpOnly: true, sameSite: "lax", secure, path: "/", maxAge: 0 });
        },
      };
    })
    .onBeforeHandle({ as: "scoped" }, ({ caller, request, body }) => {
      checkCsrf(caller, request, body);
    });
}
