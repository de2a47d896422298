import { describe, expect, test } from "bun:test";
import { formatScopes, OAUTH_SCOPES, parseScopes, type OAuthScope } from "../../../src/auth/oauthScopeNames.ts";

describe("parseScopes: accepted", () => {
  test.each<[string, OAuthScope[]]>([
    ["repo:read", ["repo:read"]],
    ["repo:read repo:write", ["repo:read", "repo:write"]],
    ["repo:read,repo:write", ["repo:read", "repo:write"]],
    ["repo:write, repo:read", ["repo:read", "repo:write"]],
    ["  user:read\trepo:admin  ", ["repo:admin", "user:read"]],
    ["repo:read,,repo:read  repo:read", ["repo:read"]],
    ["super:user org:admin user:admin user:read repo:create repo:admin repo:write repo:read", [...OAUTH_SCOPES]],
    ["repo:create", ["repo:create"]],
  ])("%p", (text, scopes) => {
    expect(parseScopes(text)).toEqual({ ok: true, scopes });
  });
});

describe("parseScopes: refused (the whole string)", () => {
  test.each<[string, string, RegExp]>([
    ["empty", "", /no scopes/],
    ["only separators", " , ,", /no scopes/],
    ["one unknown among known", "repo:read repo:fly", /unknown scope "repo:fly"/],
    ["wrong case", "REPO:READ", /unknown scope "REPO:READ"/],
    ["direct_user_login is internal", "direct_user_login", /"direct_user_login"/],
    ["registry scope syntax", "repository:a/b:pull", /"repository:a\/b:pull"/],
    ["several unknown named once each", "x y x repo:read", /unknown scopes "x", "y" \(/],
    ["semicolon is no separator", "repo:read;repo:write", /"repo:read;repo:write"/],
  ])("%s", (_name, text, message) => {
    const out = parseScopes(text);
    expect(out.ok).toBe(false);
    if (!out.ok) expect(out.error).toMatch(message);
  });

  test("the message lists the known names", () => {
    const out = parseScopes("nope");
    expect(!out.ok && out.error).toContain("known: repo:read repo:write repo:admin repo:create user:read user:admin org:admin super:user");
  });
});

describe("formatScopes", () => {
  test.each<[OAuthScope[], string]>([
    [[], ""],
    [["repo:read"], "repo:read"],
    [["user:admin", "repo:write"], "repo:write user:admin"],
    [["super:user", "repo:create"], "repo:create super:user"],
  ])("%p → %p", (scopes, text) => {
    expect(formatScopes(scopes)).toBe(text);
  });

  test("format then parse gives the same list back", () => {
    const scopes: OAuthScope[] = ["user:read", "repo:admin", "org:admin"];
    expect(parseScopes(formatScopes(scopes))).toEqual({ ok: true, scopes: ["repo:admin", "user:read", "org:admin"] });
  });
});
