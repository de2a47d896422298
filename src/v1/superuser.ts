import { Type } from "@sinclair/typebox";
import type { V1App } from "./app";
import { removeNamespace } from "../store/namespaceRemoval";
import { hashPassword, passwordProblem } from "../auth/password";
import { randomAlnum } from "../secrets";
import { isProtectedSuperuser } from "../perm/superuser";
import type { AccountChanges, UserRow } from "../store/meta/users";
import { parseBody } from "./body";
import type { Caller } from "./caller";
import type { V1Context } from "./context";
import { ApiError } from "./errors";
import { EMAIL, isValidName } from "./fieldRules";
import { idPage, queryFlag } from "./query";
import { avatar } from "./views";
import { syncLibraryOwners } from "../auth/libraryNamespace";
import { namespaceQuotaFields, quotaFieldsOf, type NamespaceQuotaFields } from "./quotaView";

// The superuser panel's accounts (reference §2.12): list, create, read, change and delete users.
// Every method needs a fresh login; reads accept read-only superusers, writes need a real one.
// Superusers themselves cannot be changed or deleted here (Quay's rule), which also keeps a
// superuser from locking themself out.

const CreateUser = Type.Object({
  username: Type.String(),
  email: Type.Optional(Type.Union([Type.String(), Type.Null()])),
});

const UpdateUser = Type.Object({
  password: Type.Optional(Type.String()),
  email: Type.Optional(Type.String()),
  enabled: Type.Optional(Type.Boolean()),
  superuser: Type.Optional(Type.Boolean()),
});

/** Quay's data-model refusals: 400 with a bare `{"message"}` body. */
const refused = (message: string) => new ApiError("BadRequest", message);

/** Quay's `superuser` metadata key: who did it from the panel (writes need a user, not a robot). */
const superuserName = (caller: Caller) => (caller.identity.kind === "user" ? caller.identity.user.username : "");

export const SUPERUSER_READ = { requireSuperuser: "read", requireFreshLogin: true } as const;
export const SUPERUSER_WRITE = { requireSuperuser: "write", requireFreshLogin: true } as const;

export function superuserRoutes(api: V1App, ctx: V1Context) {
  /** `quota`: the user's quota fields when a whole page of them was read at once. */
  const view = async (u: UserRow, given?: NamespaceQuotaFields) => {
    const quota = given ?? (await quotaFieldsOf(ctx.stores, u.username));
    const p = ctx.roles.principalOf({ kind: "user", user: u, via: "password" });
    return {
      kind: "user",
      name: u.username,
      username: u.username,
      email: u.email,
      verified: true,
      avatar: avatar(u.username, "user", u.email),
      super_user: p.kind === "user" && p.superuser,
      global_readonly_super_user: p.kind === "user" && p.readonlySuperuser,
      enabled: u.enabled,
      ...quota,
    };
  };

  const find = async (username: string) => {
    const user = await ctx.stores.users.byName(username);
    if (!user) throw ApiError.notFound();
    return user;
  };

  /** Quay refuses to change or delete superusers from the panel (src/perm/superuser.ts). */
  const changeable = (user: UserRow, verb: "update" | "delete") => {
    if (isProtectedSuperuser(user, ctx.config.superusers)) throw ApiError.invalidRequest(`Cannot ${verb} a superuser`);
    return user;
  };

  /** The organizations the user alone administers: deleting the user would orphan them. */
  const solelyAdmined = async (user: UserRow) => {
    const names: string[] = [];
    for (const o of await ctx.stores.teams.orgsOf({ userId: user.id })) {
      if (o.roles.includes("admin") && (await ctx.stores.teams.adminUserCount((await ctx.stores.orgs.namespace(o.name))!.id)) <= 1) names.push(o.name);
    }
    return names;
  };

  const checkEmail = (email: string) => {
    if (!EMAIL.test(email)) throw refused(`Invalid email address: ${email}`);
  };

  return api
    .get(
      "/api/v1/superuser/users/",
      async ({ query }) => {
        // Quay's `disabled` defaults to true: disabled accounts are listed unless asked not to.
        const enabledOnly = !queryFlag(query, "disabled", true);
        const { page, next_page } = await idPage(query, (w) => ctx.stores.users.list({ ...w, enabledOnly }));
        const quotas = await namespaceQuotaFields(ctx.stores, page.map((u) => u.username));
        return { users: await Promise.all(page.map((u) => view(u, quotas.get(u.username)))), ...(next_page ? { next_page } : {}) };
      },
      { nickname: "listAllUsers", ...SUPERUSER_READ },
    )
    .post(
      "/api/v1/superuser/users/",
      async ({ body, caller, audit }) => {
        const b = parseBody(CreateUser, body);
        const email = b.email || null;
        if (!isValidName(b.username)) throw refused(`Invalid username ${b.username}: must be 2-255 of a-z, 0-9 and single . _ - between them`);
        if (email) checkEmail(email);
        // A temporary password the superuser hands over (Quay: 32 of A-Z0-9).
        const password = randomAlnum(32);
        const out = await ctx.stores.users.create(b.username, email, await hashPassword(password));
        if (out.kind === "nameTaken") throw refused(`Username has already been taken: ${b.username}`);
        if (out.kind === "emailTaken") throw refused(`Email has already been used: ${email}`);
        audit("user_create", { namespace: b.username }, { email, username: b.username, superuser: superuserName(caller) });
        // Berth has no "encrypted password" client keys: the password itself is what docker login takes.
        return { username: b.username, email, password, encrypted_password: password };
      },
      { nickname: "createInstallUser", ...SUPERUSER_WRITE, audit: "user_create" },
    )
    .get("/api/v1/superuser/users/:username", async ({ params }) => view(await find(params.username)), {
      nickname: "getInstallUser",
      ...SUPERUSER_READ,
    })
    .put(
      "/api/v1/superuser/users/:username",
      async ({ params, body, caller, audit }) => {
        const b = parseBody(UpdateUser, body);
        const user = changeable(await find(params.username), "update");
        const changes: AccountChanges = {};
        if (b.password !== undefined) {
          const problem = passwordProblem(b.password);
          if (problem) throw refused(problem);
          changes.passwordHash = await hashPassword(b.password);
        }
        if (b.email !== undefined) {
          checkEmail(b.email);
          changes.email = b.email;
        }
        if (b.enabled !== undefined) changes.enabled = b.enabled;
        // Quay adds the name to SUPER_USERS in its config; Berth keeps the flag on the account.
        // Quay records no entry for this one (a config change there), so neither does Berth.
        if (b.superuser !== undefined) changes.superuser = b.superuser;
        if ((await ctx.stores.users.update(user.id, changes)).kind === "emailTaken") throw refused("E-mail address already used");
        if (b.superuser === true) await syncLibraryOwners(ctx.stores, ctx.config); // a new superuser owns `library`
        const ns = { namespace: user.username };
        const by = { superuser: superuserName(caller) };
        if (b.password !== undefined) audit("user_change_password", ns, { username: user.username, ...by });
        if (b.email !== undefined) audit("user_change_email", ns, { old_email: user.email, email: b.email, ...by });
        if (b.enabled !== undefined) audit(b.enabled ? "user_enable" : "user_disable", ns, { username: user.username, ...by });
        // A new password or disabling rotated the uuid (sessions end); cached /v2/auth logins end here.
        ctx.authenticator.forget(user.username);
        const updated = await view((await ctx.stores.users.byId(user.id))!);
        return b.password !== undefined ? { ...updated, encrypted_password: b.password } : updated;
      },
      {
        nickname: "changeInstallUser",
        ...SUPERUSER_WRITE,
        // A token may disable or re-address an account, not take it over or make it a superuser.
        requireSessionLogin: { bodyFields: ["password", "superuser"] },
        audit: ["user_change_password", "user_change_email", "user_enable", "user_disable"],
      },
    )
    .delete(
      "/api/v1/superuser/users/:username",
      async ({ params, set, audit }) => {
        const user = changeable(await find(params.username), "delete");
        const orphans = await solelyAdmined(user);
        if (orphans.length) throw refused(`Cannot delete ${user.username} as you are the only admin for organizations: ${orphans.join(", ")}`);
        // Recorded first, while the namespace still resolves (Quay records it first too).
        audit("user_delete", { namespace: user.username }, { username: user.username });
        await removeNamespace(ctx.stores, user.username);
        ctx.authenticator.forget(user.username);
        set.status = 204;
        return "";
      },
      { nickname: "deleteInstallUser", ...SUPERUSER_WRITE, audit: "user_delete" },
    );
}
