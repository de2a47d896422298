// The caller's own account (Quay's /user/ resource): view, sign up, change, delete; and the
// public view of any user.
import { Type, type Static } from "@sinclair/typebox";
import type { V1App } from "./app";
import { hashPassword, passwordProblem } from "../auth/password";
import { removeNamespace } from "../store/namespaceRemoval";
import type { UserRow } from "../store/meta/users";
import { parseBody } from "./body";
import type { V1Context } from "./context";
import { ApiError } from "./errors";
import { tokenScopes } from "./caller";
import { capTeamRoles } from "../perm/orgStanding";
import type { OAuthScope } from "../auth/oauthScopeNames";
import { EMAIL, isValidName, TAG_EXPIRATION_OPTIONS } from "./fieldRules";
import { avatar, orgAvatar } from "./views";
import type { AuditFn } from "./audit";
import { quotaFieldsOf } from "./quotaView";

const PROFILE_FIELDS = ["given_name", "family_name", "company", "location", "invoice_email", "invoice_email_address"] as const;
/** The profile fields Quay logs as user_change_metadata (the invoice ones are user_change_invoicing). */
const METADATA_FIELDS = ["given_name", "family_name", "company", "location"] as const;

const SignupBody = Type.Object({
  username: Type.String({ minLength: 1 }),
  password: Type.String(),
  email: Type.Optional(Type.Union([Type.String(), Type.Null()])),
  invite_code: Type.Optional(Type.String()),
  recaptcha_response: Type.Optional(Type.String()),
});
const UpdateBody = Type.Object({
  password: Type.Optional(Type.String()),
  email: Type.Optional(Type.String()),
  tag_expiration_s: Type.Optional(Type.Integer()),
  username: Type.Optional(Type.String()),
  invoice_email: Type.Optional(Type.Boolean()),
  invoice_email_address: Type.Optional(Type.Union([Type.String(), Type.Null()])),
  given_name: Type.Optional(Type.String({ maxLength: 255 })),
  family_name: Type.Optional(Type.String({ maxLength: 255 })),
  company: Type.Optional(Type.String({ maxLength: 255 })),
  location: Type.Optional(Type.String({ maxLength: 255 })),
});

function checkEmail(email: string | null | undefined): void {
  if (email && !EMAIL.test(email)) throw ApiError.invalidRequest("Invalid email address", { field: "email" });
}

function checkPassword(password: string): void {
  const problem = passwordProblem(password);
  if (problem) throw ApiError.invalidRequest(problem, { field: "password" });
}

type Update = Static<typeof UpdateBody>;

/**
 * Quay's entries for PUT /user/ (its changeUserDetails): one per kind of change, in its words.
 * A password change is `account_change_password` there (user_change_password is the superuser
 * panel's); invoicing and profile fields are logged when sent, even unchanged, except the
 * invoice address and the e-mail, which only count when they differ.
 */
function auditAccountChanges(audit: AuditFn, username: string, b: Update, before: { email: string | null; invoiceAddress: unknown }): void {
  const ns = { namespace: username };
  if (b.password !== undefined) audit("account_change_password", ns);
  if (b.invoice_email !== undefined) audit("user_change_invoicing", ns, { invoice_email: b.invoice_email });
  if (b.tag_expiration_s !== undefined) audit("user_change_tag_expiration", ns, { tag_expiration: b.tag_expiration_s });
  if (b.invoice_email_address !== undefined && b.invoice_email_address !== (before.invoiceAddress ?? null)) {
    audit("user_change_invoicing", ns, { invoice_email_address: b.invoice_email_address });
  }
  if (b.email !== undefined && (b.email || null) !== before.email) audit("user_change_email", ns, { email: b.email, old_email: before.email });
  const metadata = Object.fromEntries(METADATA_FIELDS.filter((f) => b[f] !== undefined).map((f) => [f, b[f]]));
  if (Object.keys(metadata).length) audit("user_change_metadata", ns, metadata);
}

const ACCOUNT_CHANGE_KINDS = [
  "account_change_password",
  "user_change_invoicing",
  "user_change_tag_expiration",
  "user_change_email",
  "user_change_metadata",
] as const;

export function userRoutes(api: V1App, ctx: V1Context) {
  /** `scopes`: the caller's OAuth token's, which cap what it is in each org (undefined for a session). */
  const me = async (user: UserRow, scopes?: readonly OAuthScope[]) => {
    const principal = ctx.roles.principalOf({ kind: "user", user, via: "password" });
    const orgs = await ctx.stores.teams.orgsOf({ userId: user.id });
    const profile = await ctx.stores.users.profile(user.id);
    return {
      anonymous: false,
      username: user.username,
      avatar: avatar(user.username, "user", user.email),
      can_create_repo: true,
      is_me: true,
      verified: true,
      email: user.email,
      logins: [],
      invoice_email: profile.invoice_email === true,
      invoice_email_address: profile.invoice_email_address ?? null,
      preferred_namespace: false,
      tag_expiration_s: (await ctx.stores.namespaces.settings(user.username))?.tagExpirationS ?? 1209600,
      prompts: [],
      company: profile.company ?? "",
      family_name: profile.family_name ?? "",
      given_name: profile.given_name ?? "",
      location: profile.location ?? "",
      is_free_account: true,
      has_password_set: user.passwordHash !== null,
      organizations: orgs.map((o) => {
        const roles = capTeamRoles(o.roles, scopes);
        return {
          name: o.name,
          avatar: orgAvatar(o),
          can_create_repo: roles.some((r) => r === "admin" || r === "creator"),
          public: false,
          is_org_admin: roles.includes("admin"),
          preferred_namespace: false,
        };
      }),
      ...(await quotaFieldsOf(ctx.stores, user.username)),
      ...(principal.kind === "user" && principal.superuser ? { super_user: true } : {}),
      ...(principal.kind === "user" && principal.readonlySuperuser ? { global_readonly_super_user: true } : {}),
    };
  };

  return api
    .get(
      "/api/v1/user/",
      ({ caller }) => {
        if (caller.identity.kind !== "user") {
          throw new ApiError("InvalidToken", undefined, { session_required: false });
        }
        return me(caller.identity.user, tokenScopes(caller));
      },
      { nickname: "getLoggedInUser", requireScope: "user:read" },
    )
    .post(
      "/api/v1/user/",
      async ({ body, logIn, audit }) => {
        if (!ctx.config.userCreation) throw new ApiError("UserCreationDisabled");
        const b = parseBody(SignupBody, body);
        if (!isValidName(b.username)) throw ApiError.invalidRequest("Invalid namespace name", { field: "username" });
        checkPassword(b.password);
        checkEmail(b.email);
        const made = await ctx.stores.users.create(b.username, b.email || null, await hashPassword(b.password));
        if (made.kind === "nameTaken") throw ApiError.invalidRequest("The username already exists", { field: "username" });
        if (made.kind === "emailTaken") throw ApiError.invalidRequest("The email address is already in use", { field: "email" });
        // Recorded before the sign-in, as Quay does: the entry has no performer (nobody was signed in).
        audit("user_create", { namespace: made.user.username }, { email: b.email ?? null, username: made.user.username });
        // Signed in at once, with a new CSRF token (the anonymous one stops working).
        logIn(made.user.uuid);
        return me(made.user);
      },
      { nickname: "createNewUser", internal: true, audit: "user_create" },
    )
    .put(
      "/api/v1/user/",
      async ({ user, body, caller, logIn, audit }) => {
        const b = parseBody(UpdateBody, body);
        if (b.tag_expiration_s !== undefined && !TAG_EXPIRATION_OPTIONS.includes(b.tag_expiration_s)) {
          throw ApiError.invalidRequest("Invalid tag expiration option", { field: "tag_expiration_s" });
        }
        if (b.password !== undefined) checkPassword(b.password);
        checkEmail(b.email);
        if (b.email !== undefined && b.email !== user.email && (await ctx.stores.users.setEmail(user.id, b.email || null)) === "emailTaken") {
          throw ApiError.invalidRequest("E-mail address already used", { field: "email" });
        }
        if (b.tag_expiration_s !== undefined) {
          const ns = await ctx.stores.namespaces.settings(user.username);
          if (ns) await ctx.stores.namespaces.setTagExpiration(ns.id, b.tag_expiration_s);
        }
        const profile = await ctx.stores.users.profile(user.id);
        const before = { email: user.email, invoiceAddress: profile.invoice_email_address };
        const changed = PROFILE_FIELDS.filter((f) => b[f] !== undefined);
        if (changed.length) {
          for (const f of changed) profile[f] = b[f] as never;
          await ctx.stores.users.setProfile(user.id, profile);
        }
        if (b.password !== undefined) {
          // A new password ends every other session and cached credential; this one continues.
          await ctx.stores.users.setPassword(user.id, await hashPassword(b.password));
          await ctx.stores.users.rotateUuid(user.id);
          ctx.authenticator.forget(user.username);
          logIn((await ctx.stores.users.byId(user.id))!.uuid); // only sessions get here (requireSessionLogin)
        }
        // Renames (Quay's FEATURE_USER_RENAME, off by default) are not offered: `username` is ignored.
        auditAccountChanges(audit, user.username, b, before);
        return me((await ctx.stores.users.byId(user.id))!, tokenScopes(caller));
      },
      {
        nickname: "changeUserDetails",
        requireUserAdmin: true,
        requireFreshLogin: true,
        requireSessionLogin: { bodyFields: ["password"] },
        internal: true,
        audit: ACCOUNT_CHANGE_KINDS,
      },
    )
    .delete(
      "/api/v1/user/",
      async ({ user, clearSession, set, audit }) => {
        for (const org of await ctx.stores.teams.orgsOf({ userId: user.id })) {
          const ns = (await ctx.stores.orgs.namespace(org.name))!;
          if (org.roles.includes("admin") && (await ctx.stores.teams.adminUserCount(ns.id)) <= 1) {
            throw ApiError.invalidRequest(`Cannot delete the account: it is the only admin of organization ${org.name}`);
          }
        }
        // Recorded first, while the namespace still resolves; the entry outlives it (superuser logs).
        audit("user_delete", { namespace: user.username }, { username: user.username });
        await removeNamespace(ctx.stores, user.username);
        ctx.authenticator.forget(user.username);
        clearSession();
        set.status = 204;
        return "";
      },
      { nickname: "deleteCurrentUser", requireUserAdmin: true, requireFreshLogin: true, internal: true, audit: "user_delete" },
    )
    .get(
      "/api/v1/users/:username",
      async ({ params }) => {
        const user = await ctx.stores.users.byName(params.username);
        if (!user) throw ApiError.notFound();
        return { anonymous: false, username: user.username, avatar: avatar(user.username, "user", user.email) };
      },
      { nickname: "getUserInformation" },
    );
}
