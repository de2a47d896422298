// Two Berth nodes (or a server and the CLI) over one data directory: what each keeps in its own
// memory (docs/ARCHITECTURE.md, "State one process holds") must not outlive a change the other
// made. Here: the credential cache of /v2/auth.
import { afterAll, afterEach, beforeAll, describe, expect, test } from "bun:test";
import { userPasswd } from "../../src/cli/accounts";
import { registryAuthStatus } from "../support/registryClient";
import { createUsers, resetLoginThrottles, startTestServer, type TestServer } from "../support/server";
import { signedIn } from "../support/v1Client";
import { openStoresLike } from "../support/serverBackends";

describe("two nodes over one data directory", () => {
  let a: TestServer;
  let b: TestServer;
  beforeAll(async () => {
    a = await startTestServer({ auth: "token" });
    // A second node: its own process state (caches, throttle), the same database and files.
    b = await startTestServer({ auth: "token" }, { dataDir: a.dataDir });
    await createUsers(a.server.ctx.stores, { nina: "Nina-Secret-1", otto: "Otto-Secret-1" });
  });
  afterAll(async () => {
    await b?.stop();
    await a?.stop();
  });
  afterEach(async () => {
    await resetLoginThrottles(a);
    await resetLoginThrottles(b);
  });
  const login = (node: TestServer, user: string, password: string) => registryAuthStatus(node.url, [user, password], `repository:${user}/app:pull,push`);

  test("a password changed on one node stops the old one on the other at once, though the other had it cached", async () => {
    expect(await login(b, "nina", "Nina-Secret-1")).toBe(200); // b now remembers the check
    const nina = await signedIn(a.url, "nina", "Nina-Secret-1");
    expect((await nina.put("/api/v1/user/", { password: "Nina-Secret-2" })).status).toBe(200);
    expect(await login(b, "nina", "Nina-Secret-1")).toBe(401);
    expect(await login(b, "nina", "Nina-Secret-2")).toBe(200);
  });

  test("an email changed on one node stops logins by the old address on the other", async () => {
    expect(await registryAuthStatus(b.url, ["otto@example.com", "Otto-Secret-1"])).toBe(200);
    const otto = await signedIn(a.url, "otto", "Otto-Secret-1");
    expect((await otto.put("/api/v1/user/", { email: "otto@example.org" })).status).toBe(200);
    expect(await registryAuthStatus(b.url, ["otto@example.com", "Otto-Secret-1"])).toBe(401);
    expect(await registryAuthStatus(b.url, ["otto@example.org", "Otto-Secret-1"])).toBe(200);
  });

  test("a password changed by `berth user passwd` while the server runs stops the old one at once", async () => {
    expect(await login(a, "otto", "Otto-Secret-1")).toBe(200);
    const cli = await openStoresLike(a.server.ctx.config, 60_000);
    let said: string;
    try {
      said = await userPasswd(cli, "otto", false);
    } finally {
      await cli.close();
    }
    const password = /changed to: (\S+)$/.exec(said)![1]!;
    expect(await login(a, "otto", "Otto-Secret-1")).toBe(401);
    expect(await login(a, "otto", password)).toBe(200);
  });
});
