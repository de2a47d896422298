// API v1 rules that are not a resource: OPTIONS, the browser XHR check, error-type pages.
import { describe, expect, test } from "bun:test";
import { serverForFile, type TestServer } from "../support/server";
import { V1_ERRORS } from "../../src/v1/errors";

let server: TestServer;
serverForFile((started) => {
  server = started;
});

const CHROME = "Mozilla/5.0 (X11; Linux x86_64) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/120.0 Safari/537.36";

describe("API v1 conventions", () => {
  test("OPTIONS on any API path answers 200 with a null body", async () => {
    for (const path of ["/api/v1/user/", "/api/v1/repository/a/b", "/api/v1/organization/x/team/y"]) {
      const res = await fetch(server.url + path, { method: "OPTIONS" });
      expect(res.status).toBe(200);
      expect(await res.json()).toBeNull();
    }
  });

  test("browser GETs without X-Requested-With are refused; scripts and XHR pass", async () => {
    const refused = await fetch(`${server.url}/api/v1/users/admin`, { headers: { "User-Agent": CHROME } });
    expect(refused.status).toBe(400);
    expect(await refused.json()).toEqual({
      error: "API calls must be invoked with an X-Requested-With header if called from a browser",
    });
    const xhr = await fetch(`${server.url}/api/v1/users/admin`, {
      headers: { "User-Agent": CHROME, "X-Requested-With": "XMLHttpRequest" },
    });
    expect(xhr.status).toBe(200);
    const script = await fetch(`${server.url}/api/v1/users/admin`, { headers: { "User-Agent": "curl/8.0" } });
    expect(script.status).toBe(200);
    // /v2 is not API v1: browsers pulling a public image are not asked for the header.
    const v2 = await fetch(`${server.url}/v2/`, { headers: { "User-Agent": CHROME } });
    expect(v2.status).toBe(200);
  });

  test("error types named in error bodies have a description page", async () => {
    const unauthorized = await fetch(`${server.url}/api/v1/user/`);
    const body = (await unauthorized.json()) as { type: string; error_type: string };
    expect(body.error_type).toBe("invalid_token");
    const page = await fetch(`${server.url}/api/v1/error/${body.error_type}`);
    expect(page.status).toBe(200);
    const described = (await page.json()) as Record<string, string>;
    expect(described.type).toBe("invalid_token");
    expect(described.title).toBe("invalid_token");
    expect(described.description.length).toBeGreaterThan(10);
    expect(body.type.endsWith("/api/v1/error/invalid_token")).toBe(true);
    const unknown = await fetch(`${server.url}/api/v1/error/no_such_type`);
    expect(unknown.status).toBe(404);
  });

  test("every error type a problem body can name has its page", async () => {
    const types = new Set(Object.values(V1_ERRORS).flatMap((d) => (d.shape === "problem" ? [d.type] : [])));
    expect(types.size).toBeGreaterThan(5);
    for (const type of types) {
      const page = await fetch(`${server.url}/api/v1/error/${type}`);
      expect([type, page.status]).toEqual([type, 200]);
    }
  });
});
