// The web UI's API client (src/ui/app/api/client.ts) speaks API v1 as a browser client must:
// X-Requested-With on every call, the CSRF token from /csrf_token on writes (fetched once),
// X-Next-CSRF-Token replacing it, the fresh-login prompt on fresh_login_required, and Quay's
// error bodies as messages. fetch is replaced by a scripted server.
import { afterEach, describe, expect, test } from "bun:test";
import { ApiClient, ApiFailure } from "../../../src/ui/app/api/client";

interface Seen {
  method: string;
  path: string;
  headers: Record<string, string>;
  body?: string;
}

const realFetch = globalThis.fetch;
afterEach(() => {
  globalThis.fetch = realFetch;
});

/** Answers each call with the next scripted response; records what was sent. */
function script(answers: ((seen: Seen) => Response)[]): Seen[] {
  const seen: Seen[] = [];
  globalThis.fetch = (async (input: string | URL | Request, init?: RequestInit) => {
    const call: Seen = { method: init?.method ?? "GET", path: String(input), headers: { ...(init?.headers as Record<string, string>) }, body: init?.body as string | undefined };
    seen.push(call);
    const next = answers.shift();
    if (!next) throw new Error(`unexpected call ${call.method} ${call.path}`);
    return next(call);
  }) as typeof fetch;
  return seen;
}

const json = (body: unknown, status = 200, headers: Record<string, string> = {}) => () => new Response(JSON.stringify(body), { status, headers: { "content-type": "application/json", ...headers } });
const problem = (status: number, type: string, message: string) => json({ error_type: type, error_message: message, detail: message }, status);

describe("ApiClient", () => {
  test("a GET sends X-Requested-With and no CSRF token (none is fetched)", async () => {
    const seen = script([json({ username: "alice" })]);
    expect(await new ApiClient().get("/api/v1/user/")).toEqual({ username: "alice" });
    expect(seen).toHaveLength(1);
    expect(seen[0]!.headers["X-Requested-With"]).toBe("XMLHttpRequest");
    expect(seen[0]!.headers["X-CSRF-Token"]).toBeUndefined();
  });

  test("writes fetch /csrf_token once and send it; X-Next-CSRF-Token replaces it", async () => {
    const seen = script([json({ csrf_token: "first" }), json({ success: true }, 200, { "X-Next-CSRF-Token": "second" }), json({}, 201), json({}, 201)]);
    const api = new ApiClient();
    await api.post("/api/v1/signin", { username: "a", password: "b" });
    await api.put("/api/v1/repository/a/b", { description: "x" });
    await api.delete("/api/v1/repository/a/b");
    expect(seen.map((s) => `${s.method} ${s.path} ${s.headers["X-CSRF-Token"] ?? "-"}`)).toEqual([
      "GET /csrf_token -",
      "POST /api/v1/signin first",
      "PUT /api/v1/repository/a/b second",
      "DELETE /api/v1/repository/a/b second",
    ]);
    expect(seen[1]!.headers["Content-Type"]).toBe("application/json");
    expect(JSON.parse(seen[1]!.body!)).toEqual({ username: "a", password: "b" });
  });

  test("fresh_login_required asks for the password, then the call runs again once", async () => {
    const seen = script([json({ csrf_token: "t" }), problem(401, "fresh_login_required", "The action requires a fresh login to succeed."), json({ token: { uuid: "u" } }, 200)]);
    const api = new ApiClient();
    let asked = 0;
    api.onFreshLogin = async () => {
      asked++;
      return true;
    };
    expect(await api.post("/api/v1/user/apptoken", { title: "ci" })).toEqual({ token: { uuid: "u" } });
    expect(asked).toBe(1);
    expect(seen.filter((s) => s.path === "/api/v1/user/apptoken")).toHaveLength(2);
  });

  test("a cancelled fresh login is the API's error, and nothing is repeated", async () => {
    script([json({ csrf_token: "t" }), problem(401, "fresh_login_required", "The action requires a fresh login to succeed.")]);
    const api = new ApiClient();
    api.onFreshLogin = async () => false;
    const failure = await api.post("/api/v1/user/apptoken", {}).catch((e) => e);
    expect(failure).toBeInstanceOf(ApiFailure);
    expect(failure).toMatchObject({ status: 401, type: "fresh_login_required", message: "The action requires a fresh login to succeed." });
  });

  test("a stale CSRF token is fetched again once", async () => {
    // Berth answers a bad token with Quay's abort() body: {"error": …}.
    const seen = script([json({ csrf_token: "old" }), json({ error: "CSRF token was invalid or missing." }, 403), json({ csrf_token: "new" }), json({}, 201)]);
    await new ApiClient().post("/api/v1/organization/", { name: "acme" });
    expect(seen.map((s) => s.headers["X-CSRF-Token"] ?? "-")).toEqual(["-", "old", "-", "new"]);
  });

  test("errors carry Quay's message; a body that is not JSON is the message", async () => {
    script([problem(404, "not_found", "Could not find tag"), () => new Response("Too many login attempts.", { status: 429 })]);
    const api = new ApiClient();
    expect(await api.get("/api/v1/repository/a/b/tag/x").catch((e) => e)).toMatchObject({ status: 404, type: "not_found", message: "Could not find tag" });
    expect(await api.get("/api/v1/x").catch((e) => e)).toMatchObject({ status: 429, type: undefined, message: "Too many login attempts." });
  });
});
