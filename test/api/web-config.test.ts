// GET /config (reference quay-api.md §2.13): the web route a Quay front end reads at start. No
// session, no auth, only what a browser may see, and feature flags that match what Berth does.
import { afterAll, beforeAll, describe, expect, test } from "bun:test";
import { version } from "../../package.json";
import { startTestServer, type TestServer } from "../support/server";
import { expectJson } from "../support/v1Client";

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
    expect(features).toMatchObject({ USER_CREATION: true, USER_INITIALIZE: false, IMMUTABLE_TAGS: true, ASSIGN_OAUTH_TOKEN: true });
    const closed = await startTestServer({ userCreation: "false", userInitialize: "true" });
    try {
      expect((await expectJson(await fetch(`${closed.url}/config`), 200)).features).toMatchObject({ USER_CREATION: false, USER_INITIALIZE: true });
    } finally {
      await closed.stop();
    }
    expect(Object.values(features).every((v) => typeof v === "boolean")).toBe(true);
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
