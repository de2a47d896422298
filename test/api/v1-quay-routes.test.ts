// Every route of Quay's API v1 (test/support/quayRoutes.ts, read from Quay's endpoints/api) is
// either served by Berth or answers 501 in Quay's {"message"} shape: never the router's 404,
// which clients report as "repository does not exist" or crash on.
import { beforeAll, describe, expect, test } from "bun:test";
import { createApp } from "../../src/app";
import { NO_SUCH_ROUTE } from "../../src/v1";
import { NOT_SUPPORTED } from "../../src/v1/notSupported";
import { QUAY_ROUTES } from "../support/quayRoutes";
import { type TestServer } from "../support/server";
import { V1Client } from "../support/v1Client";
import { worldForFile } from "../support/world";

const world = worldForFile({ config: { auth: "token" } });
let server: TestServer;
beforeAll(() => (server = world.server));

/**
 * "METHOD path" without a trailing slash (one declaration serves both) and with parameters
 * unnamed: Berth's router needs one name per position, so Quay's `/superuser/users/<namespace>/quota`
 * is `:username` there, as in `/superuser/users/:username`.
 */
const key = (method: string, path: string) => `${method} ${path.replace(/\/+$/, "").replace(/:[A-Za-z_]+/g, ":")}`;
const notSupported = new Map(NOT_SUPPORTED.flatMap(({ what, routes }) => routes.map(([m, p]) => [key(m, p), what] as const)));

/** Berth's route table: "METHOD path" → the route's nickname and whether it is a 501. */
function berthRoutes(): Map<string, { nickname: unknown; unsupported: boolean }> {
  const out = new Map<string, { nickname: unknown; unsupported: boolean }>();
  for (const r of createApp(server.server.ctx).routes) {
    const detail = (r.hooks as any)?.detail ?? {};
    out.set(key(r.method, r.path), { nickname: detail.operationId, unsupported: detail["x-not-supported"] === true });
  }
  return out;
}

/** A URL for a route: parameters get values no resource has; repositories need two segments. */
const concrete = (path: string) =>
  path.replace(":repository", "nobody/nothing").replace(":manifestref", `sha256:${"0".repeat(64)}`).replace(/:[A-Za-z_]+/g, "zz-none");

describe("Quay's API v1 routes", () => {
  test("the reference list is whole (every file of Quay's endpoints/api that declares routes)", () => {
    expect(QUAY_ROUTES.length).toBeGreaterThan(280);
    expect(new Set(QUAY_ROUTES.map((r) => key(r[0], r[1]))).size).toBe(QUAY_ROUTES.length);
    for (const file of ["billing.py", "globalmessages.py", "immutability_policy.py", "policy.py", "org_mirror.py", "robot.py", "superuser.py", "user.py"]) {
      expect(QUAY_ROUTES.some((r) => r[3] === file)).toBe(true);
    }
  });

  test("each is in Berth's route table under Quay's nickname, served or marked not supported", () => {
    const berth = berthRoutes();
    const missing = QUAY_ROUTES.filter(([m, p]) => !berth.has(key(m, p))).map(([m, p]) => key(m, p));
    expect(missing).toEqual([]);
    const renamed = QUAY_ROUTES.filter(([m, p, nick]) => nick !== "" && berth.get(key(m, p))?.nickname !== nick).map(([m, p, nick]) => `${key(m, p)} ${nick}`);
    expect(renamed).toEqual([]);
    // notSupported.ts is the one list of the unserved, and lists only Quay's routes.
    const marked = [...berth].filter(([, r]) => r.unsupported).map(([k]) => k);
    expect(marked.sort()).toEqual([...notSupported.keys()].sort());
    const quay = new Set(QUAY_ROUTES.map(([m, p]) => key(m, p)));
    expect([...notSupported.keys()].filter((k) => !quay.has(k))).toEqual([]);
  });

  test("over HTTP: the unserved answer 501 {message}, the served never fall through to the router's 404", async () => {
    const client = new V1Client(server.url);
    await client.fetchCsrf();
    const wrong: string[] = [];
    for (const [method, path] of QUAY_ROUTES) {
      // POST /signout ends the session and its CSRF token on the way.
      if (!client.csrfToken) await client.fetchCsrf();
      const res = await client.fetch(concrete(path), { method });
      const text = await res.text();
      const what = notSupported.get(key(method, path));
      if (what !== undefined) {
        const ok = res.status === 501 && text === JSON.stringify({ message: `Berth does not support ${what}` });
        if (!ok) wrong.push(`${key(method, path)}: expected 501, got ${res.status} ${text.slice(0, 80)}`);
      } else if ((res.status === 404 && text.includes(NO_SUCH_ROUTE)) || res.status === 501) {
        wrong.push(`${key(method, path)}: served, but ${res.status} ${text.slice(0, 80)}`);
      }
    }
    expect(wrong).toEqual([]);
  });
});
