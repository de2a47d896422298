// The Quay API walkthrough against the compiled binary, the way a script talks to Quay:
// /csrf_token → signin with the token → GET /api/v1/user/ with the cookie → create a
// repository over API v1 → /v2/auth token → /v2/_catalog with it → a push with that token →
// an OAuth-scoped token from an org application (the implicit grant), used without cookie or CSRF.
import { afterAll, beforeAll, expect, test } from "bun:test";
import { rmSync } from "node:fs";
import { startBinary, type BinaryServer } from "../support/server";

const PASSWORD = "walk-Admin-pw-1";
let srv: BinaryServer;

beforeAll(async () => {
  srv = await startBinary({ args: ["--auth", "token"], env: { BERTH_ADMIN_PASSWORD: PASSWORD } });
});
afterAll(async () => {
  await srv?.stop();
  if (srv) rmSync(srv.dataDir, { recursive: true, force: true });
});

/** The `name=value` of a Set-Cookie header, as a client's jar keeps it. */
const cookieOf = (res: Response) => res.headers.get("set-cookie")!.split(";")[0]!;

test("csrf → signin → user → repository → /v2/auth → _catalog → push → scoped token", async () => {
  const csrf = await fetch(`${srv.url}/csrf_token`);
  expect(csrf.status).toBe(200);
  let cookie = cookieOf(csrf);
  const { csrf_token } = (await csrf.json()) as { csrf_token: string };
  expect(csrf_token.length).toBeGreaterThanOrEqual(32);

  const signin = await fetch(`${srv.url}/api/v1/signin`, {
    method: "POST",
    headers: { Cookie: cookie, "X-CSRF-Token": csrf_token, "Content-Type": "application/json" },
    body: JSON.stringify({ username: "admin", password: PASSWORD }),
  });
  expect(signin.status).toBe(200);
  expect(await signin.json()).toEqual({ success: true });
  const next = signin.headers.get("x-next-csrf-token")!;
  expect(next).toBeTruthy();
  expect(next).not.toBe(csrf_token);
  cookie = cookieOf(signin);

  const user = await fetch(`${srv.url}/api/v1/user/`, { headers: { Cookie: cookie } });
  expect(user.status).toBe(200);
  expect(await user.json()).toMatchObject({ anonymous: false, username: "admin", super_user: true });

  const created = await fetch(`${srv.url}/api/v1/repository`, {
    method: "POST",
    headers: { Cookie: cookie, "X-CSRF-Token": next, "Content-Type": "application/json" },
    body: JSON.stringify({ repository: "walk", visibility: "private", description: "walkthrough" }),
  });
  expect(created.status).toBe(201);
  expect(await created.json()).toEqual({ namespace: "admin", name: "walk", kind: "image" });

  const basic = `Basic ${Buffer.from(`admin:${PASSWORD}`).toString("base64")}`;
  const service = `127.0.0.1:${srv.port}`;
  const auth = await fetch(
    `${srv.url}/v2/auth?service=${service}&scope=repository:admin/walk:pull,push&scope=registry:catalog:*`,
    { headers: { Authorization: basic } },
  );
  expect(auth.status).toBe(200);
  const { token } = (await auth.json()) as { token: string };
  const claims = JSON.parse(Buffer.from(token.split(".")[1]!, "base64url").toString());
  expect(claims.access).toContainEqual({ type: "repository", name: "admin/walk", actions: ["pull", "push"] });

  const catalog = await fetch(`${srv.url}/v2/_catalog`, { headers: { Authorization: `Bearer ${token}` } });
  expect(catalog.status).toBe(200);
  expect(((await catalog.json()) as { repositories: string[] }).repositories).toContain("admin/walk");
  // Without the token the catalog asks for one.
  const challenged = await fetch(`${srv.url}/v2/_catalog`);
  expect(challenged.status).toBe(401);
  expect(challenged.headers.get("www-authenticate")).toContain('scope="registry:catalog:*"');

  // The token pushes: a monolithic blob upload into the repository made over API v1.
  const bytes = new TextEncoder().encode("walkthrough layer");
  const digest = `sha256:${new Bun.CryptoHasher("sha256").update(bytes).digest("hex")}`;
  const push = await fetch(`${srv.url}/v2/admin/walk/blobs/uploads/?digest=${digest}`, {
    method: "POST",
    headers: { Authorization: `Bearer ${token}`, "Content-Type": "application/octet-stream" },
    body: bytes,
  });
  expect(push.status).toBe(201);
  const pulled = await fetch(`${srv.url}/v2/admin/walk/blobs/${digest}`, { headers: { Authorization: `Bearer ${token}` } });
  expect(new Uint8Array(await pulled.arrayBuffer())).toEqual(bytes);

  // A scoped token for scripts: an org application, authorized by the signed-in user.
  const json = (body: unknown) => ({ method: "POST", headers: { Cookie: cookie, "X-CSRF-Token": next, "Content-Type": "application/json" }, body: JSON.stringify(body) });
  expect((await fetch(`${srv.url}/api/v1/organization/`, json({ name: "walkers" }))).status).toBe(201);
  const app = await fetch(`${srv.url}/api/v1/organization/walkers/applications`, json({ name: "script", redirect_uri: "https://script.example/cb" }));
  expect(app.status).toBe(200);
  const { client_id } = (await app.json()) as { client_id: string };
  const form = new URLSearchParams({ response_type: "token", client_id, redirect_uri: "https://script.example/cb", scope: "repo:read user:read", _csrf_token: next });
  const granted = await fetch(`${srv.url}/oauth/authorizeapp`, {
    method: "POST",
    headers: { Cookie: cookie, "Content-Type": "application/x-www-form-urlencoded" },
    body: form.toString(),
    redirect: "manual",
  });
  expect(granted.status).toBe(302);
  const location = granted.headers.get("location")!;
  expect(location.startsWith("https://script.example/cb#access_token=")).toBe(true);
  const scoped = new URLSearchParams(location.slice(location.indexOf("#") + 1)).get("access_token")!;
  const bearer = { Authorization: `Bearer ${scoped}` };
  expect(((await (await fetch(`${srv.url}/api/v1/user/`, { headers: bearer })).json()) as { username: string }).username).toBe("admin");
  const repo = await fetch(`${srv.url}/api/v1/repository/admin/walk`, { headers: bearer });
  expect(repo.status).toBe(200);
  expect(((await repo.json()) as { description: string }).description).toBe("walkthrough");
  // repo:read only: the superuser behind it still may not write through this token.
  const write = await fetch(`${srv.url}/api/v1/repository/admin/walk`, {
    method: "PUT",
    headers: { ...bearer, "Content-Type": "application/json" },
    body: JSON.stringify({ description: "changed" }),
  });
  expect(write.status).toBe(403);
});
