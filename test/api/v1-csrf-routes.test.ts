// Every API v1 write route refuses a request without the session's CSRF token: read from the
// route table itself, so a route added later is covered without anyone listing it. Each one is
// sent anonymously and with a signed-in session cookie (the cross-site request a browser would
// make), without the token: 403 in Quay's {error} shape, never a 2xx, never a 500.
import { beforeAll, describe, expect, test } from "bun:test";
import { type TestServer } from "../support/server";
import { V1Client } from "../support/v1Client";
import { v1Routes } from "../../src/v1";
import { worldForFile } from "../support/world";

const ADMIN_PASSWORD = "csrf-routes-Admin-1";
/** Quay's web routes outside the CSRF-protected API (the first-user bootstrap). */
const EXEMPT = ["POST /api/v1/user/initialize"];

const world = worldForFile({ server: { adminPassword: ADMIN_PASSWORD }, sessions: ["admin"] });
let server: TestServer;
let admin: V1Client;
beforeAll(() => {
  server = world.server;
  admin = world.session("admin");
});

/** A concrete path for a route: repository names with a slash, digests where a route wants one. */
function concrete(path: string): string {
  return path.replace(/:(\w+)/g, (_, name: string) =>
    name === "repository" ? "admin/probe" : name === "manifestref" ? `sha256:${"a".repeat(64)}` : "probe",
  );
}

describe("CSRF on every API v1 write route", () => {
  test("anonymous and cookie-authenticated writes without the token are refused", async () => {
    const writes = v1Routes(server.server.ctx).routes.filter((r) => !["GET", "HEAD", "OPTIONS"].includes(r.method));
    expect(writes.length).toBeGreaterThan(80);
    const unrefused: string[] = [];
    for (const route of writes) {
      const path = concrete(route.path);
      for (const [who, client] of [["anonymous", new V1Client(server.url)], ["session", admin]] as const) {
        const res = await client.fetch(path, { method: route.method, json: {}, csrf: false });
        const text = await res.text();
        const refused = res.status === 403 && text === JSON.stringify({ error: "CSRF token was invalid or missing." });
        if (!refused) unrefused.push(`${route.method} ${route.path}`);
        // Never done, never a crash, whatever else the route answers.
        expect({ who, route: `${route.method} ${path}`, ok: res.status < 300 || res.status >= 500 }).toEqual({ who, route: `${route.method} ${path}`, ok: false });
      }
    }
    expect([...new Set(unrefused)]).toEqual(EXEMPT);
  });
});
