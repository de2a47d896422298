// GET /config (reference quay-api.md §2.13): the web route a Quay front end reads at start. No
// session, no auth, only what a browser may see, and feature flags that match what Berth does.
import { afterAll, beforeAll, describe, expect, test } from "bun:test";
import { version } from "../../package.json";
import { NO_SUCH_ROUTE } from "../../src/v1";
import { startTestServer, type TestServer } from "../support/server";
import { expectJson, V1Client } from "../support/v1Client";

let server: TestServer;
let behindProxy: TestServer;

beforeAll(async () => {
  server = await startTestServer({ auth: "token", superuserFullAccess: "false" });
  behindProxy = await startTestServer({ publicUrl: "https://registry.example.com" });
});
afterAll(async () => {
  await server?.stop();
  await behindProxy?.stop();
});

describe("GET /config", () => {
  test("Quay's shape, anonymous, with the address clients use", async () => {
    const body = await expectJson(await fetch(`${server.url}/config`), 200);
    expect(Object.keys(body).sort()).toEqual(["account_recovery_mode", "config", "external_login", "features", "oauth", "registry_state", "version_number"]);
    expect(body).toMatchObject({
      oauth: {},
      external_login: [],
      registry_state: "normal",
      account_recovery_mode: false,
      version_number: `Berth ${version}`,
    });
    expect(body.config).toMatchObject({
      SERVER_HOSTNAME: new URL(server.url).host,
      PREFERRED_URL_SCHEME: "http",
      REGISTRY_TITLE: "Berth",
      AUTHENTICATION_TYPE: "Database",
    });
    const proxied = await expectJson(await fetch(`${behindProxy.url}/config`), 200);
    expect(proxied.config).toMatchObject({ SERVER_HOSTNAME: "registry.example.com", PREFERRED_URL_SCHEME: "https" });
  });

  test("feature flags say what Berth does", async () => {
    const { features } = await expectJson(await fetch(`${server.url}/config`), 200);
    expect(features).toMatchObject({ SUPER_USERS: true, APP_SPECIFIC_TOKENS: true, DIRECT_LOGIN: true, PARTIAL_USER_AUTOCOMPLETE: true });
    expect(features).toMatchObject({ SUPERUSERS_FULL_ACCESS: false, BUILD_SUPPORT: false, MAILING: false, BILLING: false });
    // The account settings follow the configuration.
    expect(features).toMatchObject({ USER_CREATION: true, USER_INITIALIZE: false, ASSIGN_OAUTH_TOKEN: true });
    const closed = await startTestServer({ userCreation: "false", userInitialize: "true" });
    try {
      expect((await expectJson(await fetch(`${closed.url}/config`), 200)).features).toMatchObject({ USER_CREATION: false, USER_INITIALIZE: true });
    } finally {
      await closed.stop();
    }
    expect(Object.values(features).every((v) => typeof v === "boolean")).toBe(true);
  });

  test("a flag is true exactly when the endpoints behind it are served", async () => {
    // [flag, a Quay endpoint the web client calls when the flag is on]
    const table: [string, string, string][] = [
      ["IMMUTABLE_TAGS", "GET", "/api/v1/organization/zz-none/immutabilitypolicy/"],
      ["AUTO_PRUNE", "GET", "/api/v1/organization/zz-none/autoprunepolicy/"],
      ["PROXY_CACHE", "GET", "/api/v1/organization/zz-none/proxycache"],
      ["QUOTA_MANAGEMENT", "GET", "/api/v1/organization/zz-none/quota"],
      ["EDIT_QUOTA", "POST", "/api/v1/organization/zz-none/quota"],
      ["REPO_MIRROR", "GET", "/api/v1/repository/zz-none/zz-none/mirror"],
      ["ORG_MIRROR", "GET", "/api/v1/organization/zz-none/mirror"],
      ["BUILD_SUPPORT", "GET", "/api/v1/repository/zz-none/zz-none/build/"],
      ["SECURITY_SCANNER", "GET", `/api/v1/repository/zz-none/zz-none/manifest/sha256:${"0".repeat(64)}/security`],
      ["IMAGE_PULL_STATS", "GET", "/api/v1/repository/zz-none/zz-none/tag/latest/pull_statistics"],
      ["TEAM_SYNCING", "POST", "/api/v1/organization/zz-none/team/zz-none/syncing"],
      ["LOG_EXPORT", "POST", "/api/v1/user/exportlogs"],
      ["SUPERUSER_CONFIGDUMP", "GET", "/api/v1/superuser/config"],
      ["BILLING", "GET", "/api/v1/plans/"],
      ["SIGNING", "GET", "/api/v1/repository/zz-none/zz-none/signatures"],
      ["ASSIGN_OAUTH_TOKEN", "GET", "/api/v1/user/assignedauthorization"],
      ["APP_SPECIFIC_TOKENS", "GET", "/api/v1/user/apptoken"],
      ["CHANGE_TAG_EXPIRATION", "PUT", "/api/v1/repository/zz-none/zz-none/tag/latest"],
      ["SUPER_USERS", "GET", "/api/v1/superuser/users/"],
      ["USER_LOG_ACCESS", "GET", "/api/v1/user/logs"],
      ["AGGREGATED_LOG_COUNT_RETRIEVAL", "GET", "/api/v1/user/aggregatelogs"],
      ["PARTIAL_USER_AUTOCOMPLETE", "GET", "/api/v1/entities/zz"],
    ];
    const { features } = await expectJson(await fetch(`${server.url}/config`), 200);
    const client = new V1Client(server.url);
    await client.fetchCsrf();
    const wrong: string[] = [];
    for (const [flag, method, path] of table) {
      const res = await client.fetch(path, { method });
      const text = await res.text();
      const served = res.status !== 501 && !(res.status === 404 && text.includes(NO_SUCH_ROUTE));
      if (features[flag] !== served) wrong.push(`${flag}=${features[flag]} but ${method} ${path} answers ${res.status}`);
    }
    expect(wrong).toEqual([]);
  });

  test("the BRANDING logo is served by Berth itself, an SVG that runs no script", async () => {
    const { config } = await expectJson(await fetch(`${server.url}/config`), 200);
    expect(config.BRANDING).toEqual({ logo: "/static/img/berth-logo.svg", footer_img: null, footer_url: null });
    const res = await fetch(`${server.url}${config.BRANDING.logo}`);
    expect(res.status).toBe(200);
    expect(res.headers.get("content-type")).toBe("image/svg+xml");
    expect(res.headers.get("x-content-type-options")).toBe("nosniff");
    expect(res.headers.get("content-security-policy")).toContain("default-src 'none'");
    const svg = await res.text();
    expect(svg.startsWith("<svg ")).toBe(true);
    expect(svg).not.toMatch(/<script|on\w+=|href=/i);
  });

  test("no session needed, a stale or forged cookie does not matter, nothing secret is told", async () => {
    const res = await fetch(`${server.url}/config`, { headers: { Cookie: "_csrf_token=forged.value" } });
    const text = await res.text();
    expect(res.status).toBe(200);
    expect(res.headers.get("set-cookie")).toBeNull();
    expect(text).not.toContain(server.dataDir);
    expect(text.toLowerCase()).not.toContain("secret");
  });
});
