// Repository names with slashes are found by the suffixes the route table knows; routes without
// parameters win over a repository name, as Werkzeug's static rules do in Quay.
import { describe, expect, test } from "bun:test";
import { repositoryPathRewriter } from "../../../src/v1/repositoryPath";

const rewrite = repositoryPathRewriter([
  { method: "GET", path: "/api/v1/repository/:repository" },
  { method: "GET", path: "/api/v1/repository/:repository/tag/" },
  { method: "PUT", path: "/api/v1/repository/:repository/tag/:tag" },
  { method: "GET", path: "/api/v1/repository/mirror/health" },
]);

describe("repositoryPathRewriter", () => {
  const base = "http://h";
  const cases: [string, string, string | undefined][] = [
    ["GET", "/api/v1/repository/ns/app", "/api/v1/repository/ns%2Fapp"],
    ["GET", "/api/v1/repository/ns/group/app/tag/?limit=5", "/api/v1/repository/ns%2Fgroup%2Fapp/tag/?limit=5"],
    ["PUT", "/api/v1/repository/ns/group/tag/v1", "/api/v1/repository/ns%2Fgroup/tag/v1"],
    ["HEAD", "/api/v1/repository/ns/app", "/api/v1/repository/ns%2Fapp"],
    // The literal route, not a repository named mirror/health.
    ["GET", "/api/v1/repository/mirror/health", undefined],
    ["GET", "/api/v1/repository/mirror/health/", undefined],
    ["HEAD", "/api/v1/repository/mirror/health", undefined],
    // Other paths under mirror/ name repositories as before.
    ["GET", "/api/v1/repository/mirror/other", "/api/v1/repository/mirror%2Fother"],
    ["GET", "/api/v1/repository/single", undefined],
  ];
  for (const [method, path, expected] of cases) {
    test(`${method} ${path}`, () => expect(rewrite(method, `${base}${path}`)).toBe(expected === undefined ? undefined : `${base}${expected}`));
  }
});
