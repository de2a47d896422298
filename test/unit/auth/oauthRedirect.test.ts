import { describe, expect, test } from "bun:test";
import { errorRedirect, redirectAllowed, tokenRedirect } from "../../../src/auth/oauthRedirect";

const LOCAL = "http://registry.local:8080/oauth/localapp";

describe("redirectAllowed", () => {
  test.each<[string, string, boolean]>([
    ["https://app.example/cb", "https://app.example/cb", true],
    ["https://app.example/cb", "https://app.example/cb/deeper", true],
    ["https://app.example/cb", "https://app.example/cb?state=1", true],
    ["https://app.example/cb", "https://app.example/cbevil", false],
    ["https://app.example", "https://app.example.evil/cb", false],
    ["https://app.example", "https://app.example/anything", true],
    ["https://app.example/", "https://app.example/x", true],
    ["https://app.example/cb", "https://other.example/cb", false],
    ["https://app.example/cb", "javascript:alert(1)", false],
    ["", "https://app.example/cb", false],
    ["", LOCAL, true],
    ["https://app.example/cb", LOCAL, true],
    ["https://app.example/cb", "", false],
  ])("registered %p, requested %p → %p", (registered, requested, ok) => {
    expect(redirectAllowed(registered, requested, LOCAL)).toBe(ok);
  });
});

describe("token and error redirects", () => {
  test("the token goes in the fragment, replacing any fragment the URI had", () => {
    expect(tokenRedirect("https://app.example/cb?x=1#old", "ABC", 3600)).toBe("https://app.example/cb?x=1#access_token=ABC&token_type=Bearer&expires_in=3600");
  });
  test("errors too", () => {
    expect(errorRedirect("https://app.example/cb", "invalid_scope")).toBe("https://app.example/cb#error=invalid_scope");
  });
});
