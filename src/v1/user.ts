import { Elysia } from "elysia";
import type { UserRow } from "../store/meta/users";
import type { V1Context } from "./context";
import { ApiError } from "./errors";
import { v1Plugin } from "./macros";
import { v1Options } from "./session";
import { avatar } from "./views";

/** GET /api/v1/user/ (the caller) and /api/v1/users/<name> (anyone). */
export function userRoutes(ctx: V1Context) {
  const me = (user: UserRow) => {
    const principal = ctx.roles.principalOf({ kind: "user", user, via: "password" });
    const orgs = ctx.stores.orgs.orgsOf({ userId: user.id });
    return {
      anonymous: false,
      username: user.username,
      avatar: avatar(user.username, "user", user.email),
      can_create_repo: true,
      is_me: true,
      verified: true,
      email: user.email,
      logins: [],
      invoice_email: false,
      invoice_email_address: null,
      preferred_namespace: false,
      tag_expiration_s: 1209600,
      prompts: [],
      is_free_account: true,
      has_password_set: user.passwordHash !== null,
      organizations: orgs.map((o) => ({
        name: o.name,
        avatar: avatar(o.name, "org"),
        can_create_repo: o.roles.some((r) => r === "admin" || r === "creator"),
        public: false,
        is_org_admin: o.roles.includes("admin"),
        preferred_namespace: false,
      })),
      ...(principal.kind === "user" && principal.superuser ? { super_user: true } : {}),
      ...(principal.kind === "user" && principal.readonlySuperuser ? { global_readonly_super_user: true } : {}),
    };
  };
  return new Elysia(v1Options(ctx, "berth-v1-user"))
    .use(v1Plugin(ctx))
    .get(
      "/api/v1/user/",
      ({ caller }) => {
        if (caller.identity.kind !== "user") {
          throw new ApiError(401, "invalid_token", "Requires authentication", "problem", { session_required: false });
        }
        return me(caller.identity.user);
      },
      { nickname: "getLoggedInUser", requireScope: "user:read" },
    )
    .get(
      "/api/v1/users/:username",
      ({ params }) => {
        const user = ctx.stores.users.byName(params.username);
        if (!user) throw ApiError.notFound();
        return { anonymous: false, username: user.username, avatar: avatar(user.username, "user", user.email) };
      },
      { nickname: "getUserInformation" },
    );
}
