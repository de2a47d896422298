import { describe, expect, test } from "bun:test";
import type { OAuthScope } from "../../../src/auth/oauthScopeNames.ts";
import { capStandingToScopes } from "../../../src/perm/oauthStanding.ts";
import type { RepoStanding } from "../../../src/perm/repoRoles.ts";
import type { RepoRole } from "../../../src/perm/roles.ts";

function standing(grantedRole: RepoRole, opts: { exists?: boolean; isPublic?: boolean; canCreate?: boolean } = {}): RepoStanding {
  const exists = opts.exists ?? true;
  const role = opts.isPublic && grantedRole === "none" ? "read" : grantedRole;
  const canCreateInNamespace = opts.canCreate ?? false;
  return { repo: "ns/app", exists, role, grantedRole, canCreateInNamespace, canCreate: !exists && canCreateInNamespace };
}

describe("capStandingToScopes", () => {
  test.each<[string, RepoStanding, OAuthScope[], boolean, Partial<RepoStanding>]>([
    ["repo:read caps an owner at read", standing("admin"), ["repo:read"], false, { role: "read", grantedRole: "read" }],
    ["repo:write caps at write", standing("admin"), ["repo:write"], false, { role: "write" }],
    ["repo:admin leaves admin", standing("admin"), ["repo:admin"], false, { role: "admin" }],
    ["a scope never raises", standing("read"), ["repo:admin"], false, { role: "read" }],
    ["no repo scope: nothing on a private repository", standing("admin"), ["user:read"], false, { role: "none", grantedRole: "none" }],
    ["no repo scope: public repositories stay readable", standing("admin", { isPublic: true }), ["user:read"], true, { role: "read", grantedRole: "none" }],
    ["public and repo:write: write", standing("write", { isPublic: true }), ["repo:write"], true, { role: "write" }],
    ["creating needs repo:create", standing("admin", { exists: false, canCreate: true }), ["repo:write"], false, { canCreate: false, canCreateInNamespace: false }],
    ["repo:create allows it", standing("admin", { exists: false, canCreate: true }), ["repo:write", "repo:create"], false, { canCreate: true }],
    ["org:admin allows it", standing("admin", { exists: false, canCreate: true }), ["repo:write", "org:admin"], false, { canCreate: true }],
    ["scopes cannot create where the user cannot", standing("none", { exists: false }), ["repo:create"], false, { canCreate: false }],
  ])("%s", (_name, before, scopes, isPublic, expected) => {
    expect(capStandingToScopes(before, scopes, isPublic)).toMatchObject(expected);
  });
});
