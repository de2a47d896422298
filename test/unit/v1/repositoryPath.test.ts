// Repository names with slashes are found by the suffixes the route table knows; routes without
// parameters win over a repository name, as Werkzeug's static rules do in Quay.
import { describe, expect, test } from "bun:test";
import { repositoryRouteResolver } from "../../../src/v1/repositoryPath";

const resolve = repositoryRouteResolver([
  { method: "GET", path: "/api/v1/repository/:repository" },
  { method: "GET", path: "/api/v1/repository/:repository/tag/" },
  { method: "PUT", path: "/api/v1/repository/:repository/tag/:tag" },
  { method: "GET", path: "/api/v1/repository/:repository/manifest/:manifestref/labels/:labelid" },
  { method: "GET", path: "/api/v1/repository/mirror/health" },
  { method: "PUT", path: "/api/v1/user/starred/:repository" },
  { method: "GET", path: "/api/v1/organization/:orgname/robots/:robot_shortname" },
]);

describe("repositoryRouteResolver", () => {
  const cases: [string, string, string | undefined, Record<string, string>?][] = [
    ["GET", "/api/v1/repository/ns/app", "GET /api/v1/repository/:repository", { repository: "ns/app" }],
    ["GET", "/api/v1/repository/ns/group/app/tag/", "GET /api/v1/repository/:repository/tag/", { repository: "ns/group/app" }],
    ["PUT", "/api/v1/repository/ns/group/tag/v1", "PUT /api/v1/repository/:repository/tag/:tag", { repository: "ns/group", tag: "v1" }],
    // No GET route ends in /tag/:tag: the whole path is the name.
    ["GET", "/api/v1/repository/ns/group/tag/v1", "GET /api/v1/repository/:repository", { repository: "ns/group/tag/v1" }],
    ["HEAD", "/api/v1/repository/ns/app", "GET /api/v1/repository/:repository", { repository: "ns/app" }],
    // Parameters after the name are decoded as the router decodes them.
    ["PUT", "/api/v1/repository/ns/app/tag/v%31", "PUT /api/v1/repository/:repository/tag/:tag", { repository: "ns/app", tag: "v1" }],
    [
      "GET",
      "/api/v1/repository/ns/a/b/manifest/sha256:abc/labels/42",
      "GET /api/v1/repository/:repository/manifest/:manifestref/labels/:labelid",
      { repository: "ns/a/b", manifestref: "sha256:abc", labelid: "42" },
    ],
    ["PUT", "/api/v1/user/starred/ns/app", "PUT /api/v1/user/starred/:repository", { repository: "ns/app" }],
    // Malformed escapes are no route.
    ["PUT", "/api/v1/repository/ns/app/tag/%E0%A4%A", undefined],
    // The literal route, not a repository named mirror/health.
    ["GET", "/api/v1/repository/mirror/health", undefined],
    ["GET", "/api/v1/repository/mirror/health/", undefined],
    ["HEAD", "/api/v1/repository/mirror/health", undefined],
    // Other paths under mirror/ name repositories as before.
    ["GET", "/api/v1/repository/mirror/other", "GET /api/v1/repository/:repository", { repository: "mirror/other" }],
    // One segment, or a name already encoded: the router's, as it is.
    ["GET", "/api/v1/repository/single", undefined],
    ["GET", "/api/v1/repository/ns%2Fapp/tag/", undefined],
    // Not a valid repository name, or a method without repository routes.
    ["GET", "/api/v1/repository/NS/App", undefined],
    ["DELETE", "/api/v1/repository/ns/app", undefined],
    ["GET", "/api/v1/organization/o/robots/r", undefined],
  ];
  for (const [method, path, route, params] of cases) {
    test(`${method} ${path}`, () => {
      const found = resolve(method, path);
      expect(found && { route: `${found.route.method} ${found.route.path}`, params: found.params }).toEqual(
        route === undefined ? undefined : { route, params: params! },
      );
    });
  }
});
