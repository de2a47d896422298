// /api/v1/discovery is generated from the route table: every route that exists is described,
// and everything described answers (reference quay-api.md §2.13).
import { beforeAll, describe, expect, test } from "bun:test";
import { createApp } from "../../src/app";
import { NO_SUCH_ROUTE } from "../../src/v1";
import { isDocumentedRoute } from "../../src/v1/discovery";
import { type TestServer } from "../support/server";
import { expectJson } from "../support/v1Client";
import { worldForFile } from "../support/world";

const world = worldForFile({ config: { auth: "token" } });
let server: TestServer;
beforeAll(() => (server = world.server));

const discovery = async (query = "") => expectJson(await fetch(`${server.url}/api/v1/discovery${query}`), 200);

/** "METHOD /path/{param}" for every operation in a Swagger document. */
function operations(doc: any): Map<string, any> {
  const ops = new Map<string, any>();
  for (const [path, methods] of Object.entries<any>(doc.paths)) {
    for (const [method, op] of Object.entries<any>(methods)) ops.set(`${method.toUpperCase()} ${path}`, op);
  }
  return ops;
}

/** A concrete URL for a templated path: parameters get values no resource has. */
const concrete = (path: string) =>
  path.replace(/\{repository\}/g, "nobody/nothing").replace(/\{manifestref\}/g, `sha256:${"0".repeat(64)}`).replace(/\{[^}]+\}/g, "zz-none");

describe("GET /api/v1/discovery", () => {
  test("Swagger 2.0 with Quay's nicknames, scopes and fresh-login marks", async () => {
    const doc = await discovery();
    expect(doc.swagger).toBe("2.0");
    expect(doc.basePath).toBe("/");
    expect(doc.host).toBe(new URL(server.url).host);
    expect(Object.keys(doc.securityDefinitions.oauth2_implicit.scopes)).toEqual(
      expect.arrayContaining(["repo:read", "repo:write", "repo:admin", "repo:create", "user:read", "user:admin", "org:admin", "super:user"]),
    );
    expect(doc.definitions.ApiError.properties.error_type).toBeDefined();
    const ops = operations(doc);
    expect(ops.get("GET /api/v1/repository")?.operationId).toBe("listRepos");
    expect(ops.get("POST /api/v1/repository")?.operationId).toBe("createRepo");
    const getRepo = ops.get("GET /api/v1/repository/{repository}");
    expect(getRepo?.operationId).toBe("getRepo");
    expect(getRepo.parameters).toEqual([expect.objectContaining({ name: "repository", in: "path", required: true })]);
    expect(getRepo.security).toEqual([{ oauth2_implicit: ["repo:read"] }]);
    expect(ops.get("PUT /api/v1/repository/{repository}/tag/{tag}")?.operationId).toBe("changeTag");
    expect(ops.get("DELETE /api/v1/repository/{repository}/permissions/user/{username}")?.security).toEqual([{ oauth2_implicit: ["repo:admin"] }]);
    const deleteOrg = ops.get("DELETE /api/v1/organization/{orgname}");
    expect(deleteOrg?.operationId).toBe("deleteAdminedOrganization");
    expect(deleteOrg["x-requires-fresh-login"]).toBe(true);
    expect(ops.get("GET /api/v1/repository/{repository}")["x-requires-fresh-login"]).toBe(false);
  });

  test("methods bearer tokens may not call are marked (whole method, or some body fields)", async () => {
    const ops = operations(await discovery("?internal=true"));
    expect(ops.get("POST /api/v1/user/apptoken")["x-requires-session-login"]).toBe(true);
    expect(ops.get("POST /api/v1/signin/verify")["x-requires-session-login"]).toBe(true);
    expect(ops.get("PUT /api/v1/user/")["x-requires-session-login"]).toEqual({ "body-fields": ["password"] });
    expect(ops.get("GET /api/v1/user/")["x-requires-session-login"]).toBeUndefined();
  });

  test("Quay endpoints Berth does not offer answer 501 in Quay's message shape, marked in discovery", async () => {
    const res = await fetch(`${server.url}/api/v1/find/repositories`);
    expect(res.status).toBe(501);
    expect(await res.json()).toEqual({ message: "Berth does not support search" });
    const op = operations(await discovery("?internal=true")).get("GET /api/v1/find/repositories");
    expect(op).toMatchObject({ operationId: "conductRepoSearch", "x-internal": true, "x-not-supported": true });
  });

  test("internal operations only with ?internal=true", async () => {
    expect(operations(await discovery()).has("POST /api/v1/signin")).toBe(false);
    expect(operations(await discovery("?internal=False")).has("POST /api/v1/signin")).toBe(false);
    expect(operations(await discovery("?internal=True")).has("POST /api/v1/signin")).toBe(true);
    const op = operations(await discovery("?internal=true")).get("POST /api/v1/signin");
    expect(op?.operationId).toBe("signinUser");
    expect(op["x-internal"]).toBe(true);
  });

  test("the route table and discovery list the same operations, each with a unique nickname", async () => {
    const app = createApp(server.server.ctx);
    const served = new Set(app.routes.filter(isDocumentedRoute).map((r) => `${r.method} ${r.path.replace(/:([A-Za-z_]+)/g, "{$1}")}`));
    const ops = operations(await discovery("?internal=true"));
    expect([...ops.keys()].sort()).toEqual([...served].sort());
    expect(served.size).toBeGreaterThan(40);
    const nicknames = [...ops.values()].map((op) => op.operationId);
    expect(nicknames.every((n) => typeof n === "string" && /^[a-z][A-Za-z]+$/.test(n))).toBe(true);
    expect(new Set(nicknames).size).toBe(nicknames.length);
  });

  test("every described operation is served (none falls through to the router's 404)", async () => {
    const ops = operations(await discovery("?internal=true"));
    const unserved: string[] = [];
    for (const key of ops.keys()) {
      const [method, path] = key.split(" ") as [string, string];
      const res = await fetch(`${server.url}${concrete(path)}`, { method, redirect: "manual" });
      const text = await res.text();
      if (res.status === 404 && text.includes(NO_SUCH_ROUTE)) unserved.push(key);
    }
    expect(unserved).toEqual([]);
    // The probe can tell: a path no route serves says so.
    const res = await fetch(`${server.url}/api/v1/repository/nobody/nothing/no-such-suffix/x`, { method: "POST" });
    expect(res.status).toBe(404);
    expect(await res.text()).toContain(NO_SUCH_ROUTE);
  });
});
