import { Type } from "@sinclair/typebox";
import type { V1App } from "./app";
import { clientAddress } from "../auth/clientAddress";
import { randomToken } from "../secrets";
import { parseBody } from "./body";
import type { V1Context } from "./context";
import { ApiError } from "./errors";
import { requireUser } from "./guards";

const SigninBody = Type.Object({ username: Type.String({ minLength: 1 }), password: Type.String({ minLength: 1 }) });
const VerifyBody = Type.Object({ password: Type.String({ minLength: 1 }) });

/** Quay's login backoff: a plain-text 429 saying when to try again. */
const throttled = (retryAfterSeconds: number) => new ApiError("TooManyLogins", undefined, {}, { "Retry-After": String(retryAfterSeconds) });

/** GET /csrf_token, POST /api/v1/signin, /signin/verify, /signout. */
export function signinRoutes(api: V1App, ctx: V1Context) {
  return api
    .get("/csrf_token", ({ caller, saveSession }) => {
      const c = caller.session.c ?? randomToken(48);
      saveSession({ ...caller.session, c });
      return { csrf_token: c };
    }, { internal: true })
    // Unaudited: Quay logs login_success/login_failure/logout_success only with ACTION_LOG_AUDIT_LOGINS (off by default).
    .post("/api/v1/signin", async ({ body, request, logIn }) => {
      const { username, password } = parseBody(SigninBody, body);
      const outcome = await ctx.authenticator.authenticate(username, password, clientAddress(request));
      if (!outcome.ok && outcome.reason === "throttled") {
        throw throttled(outcome.retryAfterSeconds);
      }
      // Robots and app tokens are for the registry only.
      // The identity may come from the credential cache: read the user again for its current
      // uuid (sign-out and `berth user passwd` rotate it), else the new session is dead at once.
      const user = outcome.ok && outcome.identity.kind === "user" && outcome.identity.via === "password" ? await ctx.stores.users.byId(outcome.identity.user.id) : undefined;
      if (!user?.enabled) {
        throw new ApiError("InvalidCredentials", undefined, {
          needsEmailVerification: false,
          invalidCredentials: true,
        });
      }
      logIn(user.uuid);
      return { success: true };
    }, { nickname: "signinUser", internal: true })
    .post("/api/v1/signin/verify", async ({ body, caller, request, logIn }) => {
      const user = requireUser(caller);
      const { password } = parseBody(VerifyBody, body);
      // Through the authenticator, so guesses here count towards the same backoff as sign-in.
      const outcome = await ctx.authenticator.authenticate(user.username, password, clientAddress(request));
      if (!outcome.ok && outcome.reason === "throttled") {
        throw throttled(outcome.retryAfterSeconds);
      }
      if (!outcome.ok || outcome.identity.kind !== "user" || outcome.identity.via !== "password" || outcome.identity.user.id !== user.id) {
        throw new ApiError("InvalidCredentials", undefined, { invalidCredentials: true });
      }
      logIn(user.uuid);
      return { success: true };
    }, { nickname: "verifyUser", internal: true, requireSessionLogin: true })
    .post("/api/v1/signout", async ({ caller, clearSession }) => {
      // Rotating the uuid ends every session of this user, everywhere.
      if (caller.identity.kind === "user") await ctx.stores.users.rotateUuid(caller.identity.user.id);
      clearSession();
      return { success: true };
    }, { nickname: "logout", internal: true, requireSessionLogin: true });
}
