// POST /api/v1/user/initialize (Quay's web route): the first account of an empty registry,
// for automated installs. Only with `userInitialize` on (then no bootstrap admin is made); with
// `access_token: true` the answer carries an OAuth token holding every scope.
import { Type } from "@sinclair/typebox";
import type { V1App } from "./app";
import { hashPassword, passwordProblem } from "../auth/password";
import { syncLibraryOwners } from "../auth/libraryNamespace";
import { OAUTH_SCOPES } from "../auth/oauthScopeNames";
import { parseBody } from "./body";
import type { V1Context } from "./context";
import { ApiError } from "./errors";
import { isValidName } from "./fieldRules";

const InitializeBody = Type.Object({
  username: Type.String({ minLength: 1 }),
  password: Type.String(),
  email: Type.Optional(Type.Union([Type.String(), Type.Null()])),
  access_token: Type.Optional(Type.Boolean()),
});

const refuse = (message: string) => new ApiError("BadRequest", message);

export function userInitializeRoutes(api: V1App, ctx: V1Context) {
  return api.post(
    "/api/v1/user/initialize",
    async ({ body, logIn }) => {
      if (!ctx.config.userInitialize) throw refuse("Cannot initialize user, FEATURE_USER_INITIALIZE is False");
      if (ctx.stores.users.any()) throw refuse("Cannot initialize user in a non-empty database");
      const b = parseBody(InitializeBody, body);
      if (!isValidName(b.username)) throw refuse("Failed to initialize user: Invalid namespace name");
      const problem = passwordProblem(b.password);
      if (problem) throw refuse(`Failed to initialize user: ${problem}`);
      const made = ctx.stores.users.create(b.username, b.email || null, await hashPassword(b.password));
      if (made.kind !== "ok") throw refuse("Failed to initialize user: the name or email is taken");
      // The first account is usually a configured superuser: it owns `library` from now on.
      await syncLibraryOwners(ctx.stores, ctx.config);
      logIn(made.user.uuid);
      // Quay's encrypted_password is a docker password derived from the real one; Berth has
      // none (use the password, a robot, or an app token at /v2/auth), so the field is null.
      const result: Record<string, unknown> = { username: made.user.username, email: made.user.email, encrypted_password: null };
      if (b.access_token) {
        const minted = await ctx.oauth.mint(made.user.id, OAUTH_SCOPES);
        if (minted.ok) result.access_token = minted.token;
      }
      return result;
    },
    // No audit entry: Quay's user_initialize records none (no user_create), unlike sign-up.
    { nickname: "initializeUser", internal: true },
  );
}
