// The API v1 app serves only the session's paths: a route elsewhere would see every caller as
// anonymous (the front door strips cookies there), so the server refuses to start with one.
import { describe, expect, test } from "bun:test";
import { checkV1RouteTable, isV1Path } from "../../../src/v1/app";

describe("isV1Path", () => {
  const cases: [string, boolean][] = [
    ["/api/v1", true],
    ["/api/v1/user/", true],
    ["http://registry.test:5000/api/v1/repository/ns/app?x=/v2/", true],
    ["/csrf_token", true],
    ["/oauth/authorizeapp", true],
    ["/api/v10", false],
    ["/v2/api/v1/manifests/x", false],
    ["/config", false],
    ["http://registry.test/oauth", false],
  ];
  for (const [url, expected] of cases) test(url, () => expect(isV1Path(url)).toBe(expected));
});

describe("checkV1RouteTable", () => {
  test("accepts the session's paths", () => {
    expect(() => checkV1RouteTable([{ method: "OPTIONS", path: "/api/v1/*" }, { method: "GET", path: "/csrf_token" }])).not.toThrow();
  });
  test("names the routes outside them", () => {
    expect(() => checkV1RouteTable([{ method: "GET", path: "/api/v1/user/" }, { method: "POST", path: "/config" }])).toThrow("POST /config");
  });
});
