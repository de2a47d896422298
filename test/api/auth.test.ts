// Token auth in process (Docker token spec, as Quay does it; reference quay-api.md §3–4): the
// challenge on /v2/, what /v2/auth hands out to whom, and how /v2 enforces the token's grant.
import { afterAll, afterEach, beforeAll, describe, expect, test } from "bun:test";
import { rmSync } from "node:fs";
import { join } from "node:path";
import { appTokenLookup, hashAppTokenCode, newAppTokenCode } from "../../src/auth/appTokenCode";
import { hashPassword, needsRehash } from "../../src/auth/password";
import { Authenticator } from "../../src/auth/authenticator";
import { SingleNodeLoginThrottle } from "../../src/auth/singleNodeLoginThrottle";
import { RegistryTokenService } from "../../src/auth/registryToken";
import { SigningKeyRing } from "../../src/auth/signingKeys";
import { orgAdd, repoVisibility, robotAdd, userSetEnabled } from "../../src/cli/accounts";
import type { Stores } from "../../src/store";
import type { UserRow } from "../../src/store/meta/users";
import type { TokenAuth } from "../../src/v2/context";
import { resetLoginThrottles, createUsers, setRepoVisibility, startTestServer, tempDir, type TestServer } from "../support/server";
import { registryFor } from "../support/registryFixture";
import { openStoresLike } from "../support/serverBackends";
import { expectApiVersion, expectError, randomBytes, BearerRegistryClient, utf8, type OciError, basicAuth } from "../support/registryClient";

const ADMIN_PASSWORD = "admin-Secret-1";
const PASSWORDS = { alice: "alice-Secret-1", bob: "bob-Secret-1", dora: "dora-Secret-1" } as const;

let server: TestServer;
let stores: Stores;
let auth: TokenAuth;
let host: string; // 127.0.0.1:PORT, the service name tokens are minted for
const users: Record<string, UserRow> = {};

beforeAll(async () => {
  server = await startTestServer({ auth: "token" }, { adminPassword: ADMIN_PASSWORD });
  stores = server.server.ctx.stores;
  auth = server.server.ctx.auth!;
  host = new URL(server.url).host;
  Object.assign(users, await createUsers(stores, PASSWORDS));
});
afterAll(async () => {
  await server?.stop();
});
// Every request here comes from 127.0.0.1, and the per-address backoff key is (by design) not
// reset by a success: forget earlier tests' failed logins so each test starts unthrottled.
afterEach(() => resetThrottle());

function resetThrottle(): Promise<void> {
  return resetLoginThrottles(server);
}

// ---------------------------------------------------------------------------------------------
// helpers

type Creds = readonly [string, string];
const ADMIN: Creds = ["admin", ADMIN_PASSWORD];
const ALICE: Creds = ["alice", PASSWORDS.alice];
const BOB: Creds = ["bob", PASSWORDS.bob];

interface AccessEntry {
  type: string;
  name: string;
  actions: string[];
}

/** GET /v2/auth with optional Basic credentials and any number of scope values. */
function authRequest(creds: Creds | undefined, scopes: string[] = [], params: Record<string, string> = {}): Promise<Response> {
  const q = new URLSearchParams({ service: host, ...params });
  for (const s of scopes) q.append("scope", s);
  return fetch(`${server.url}/v2/auth?${q}`, { headers: creds ? { Authorization: basicAuth(...creds) } : {} });
}

/** A token from /v2/auth; throws unless 200. */
async function tokenFor(creds: Creds | undefined, ...scopes: string[]): Promise<string> {
  const res = await authRequest(creds, scopes);
  const text = await res.text();
  if (res.status !== 200) throw new Error(`/v2/auth: ${res.status} ${text}`);
  return (JSON.parse(text) as { token: string }).token;
}

function decodeSegment(segment: string): any {
  return JSON.parse(Buffer.from(segment, "base64url").toString("utf8"));
}

/** The JWT's header and payload, unverified. */
function decodeJwt(token: string): { header: any; payload: any } {
  const [h, p] = token.split(".");
  return { header: decodeSegment(h!), payload: decodeSegment(p!) };
}

function accessOf(token: string): AccessEntry[] {
  return decodeJwt(token).payload.access;
}

/** The same JWT with its payload replaced (signature kept). */
function withPayload(token: string, edit: (payload: any) => void): string {
  const [h, p, s] = token.split(".");
  const payload = decodeSegment(p!);
  edit(payload);
  return `${h}.${Buffer.from(JSON.stringify(payload)).toString("base64url")}.${s}`;
}

/** A registry client that sends `Authorization: Bearer <token>` (or nothing) on every request. */
const client = (token?: string) => new BearerRegistryClient(server.url, token);

const uniq = () => crypto.randomUUID().slice(0, 8);

/** A repository pushed (with one image tagged v1) by `creds`; returns its name. */
async function pushedRepo(creds: Creds, repo: string): Promise<string> {
  const token = await tokenFor(creds, `repository:${repo}:pull,push`);
  expect(accessOf(token)[0]!.actions).toEqual(["pull", "push"]);
  await client(token).pushImage(repo, "v1", { layers: 1, layerSize: 64 });
  return repo;
}

/**
 * Asserts a /v2 401 with the Bearer challenge (with `scope` when given): UNAUTHORIZED, or for a
 * logged-in caller without the right (`denied`) DENIED with `error="insufficient_scope"`.
 */
async function expectChallenge(res: Response, scope?: string, denied = false): Promise<OciError[]> {
  const challenge = res.headers.get("www-authenticate");
  const errors = await expectError(res, 401, denied ? "DENIED" : "UNAUTHORIZED");
  const base = `Bearer realm="${server.url}/v2/auth",service="${host}"`;
  const withScope = scope ? `${base},scope="${scope}"` : base;
  expect(challenge).toBe(denied ? `${withScope},error="insufficient_scope"` : withScope);
  if (denied) expect(errors[0]!.message).toBe("requested access to the resource is denied");
  return errors;
}

/** Repeats `request` until it answers `status` or a second has passed; returns the last status. */
async function statusWithin(request: () => Promise<Response>, status: number): Promise<number> {
  const deadline = Date.now() + 1000;
  for (;;) {
    const res = await request();
    await res.arrayBuffer();
    if (res.status === status || Date.now() > deadline) return res.status;
    await Bun.sleep(20);
  }
}

/** A registry token signed by the server's own key, minted at a chosen time. */
async function mintWithServerKey(atMs: number, access: AccessEntry[], subject = "alice"): Promise<string> {
  const keys = await SigningKeyRing.loadOrCreate(join(server.dataDir, "keys"));
  const svc = new RegistryTokenService({ keys, issuer: server.server.ctx.config.tokenIssuer, now: () => atMs });
  return (await svc.issue({ subject, audience: host, access, context: {} })).token;
}

// ---------------------------------------------------------------------------------------------

describe("GET /v2/ in token mode", () => {
  test("no credentials: 401 with the Bearer challenge naming realm and service", async () => {
    const res = await fetch(`${server.url}/v2/`);
    const challenge = res.headers.get("www-authenticate");
    await expectError(res, 401, "UNAUTHORIZED");
    expect(challenge).toBe(`Bearer realm="http://${host}/v2/auth",service="${host}"`);
    expect(host).toMatch(/^127\.0\.0\.1:\d+$/);
  });

  test("200 with a valid token (one without any scope, as `docker login` gets)", async () => {
    const token = await tokenFor(ALICE);
    const res = await fetch(`${server.url}/v2/`, { headers: { Authorization: `Bearer ${token}` } });
    expect(res.status).toBe(200);
    expectApiVersion(res);
    expect(await res.json()).toEqual({});
  });

  test("garbage, expired and forged bearers: 401 with the challenge", async () => {
    const good = await tokenFor(ALICE);
    const expired = await mintWithServerKey(Date.now() - 2 * 3600_000, []);
    const otherDir = tempDir("berth-otherkey-");
    const otherRing = await SigningKeyRing.loadOrCreate(join(otherDir, "keys"));
    rmSync(otherDir, { recursive: true, force: true });
    const forged = (await new RegistryTokenService({ keys: otherRing, issuer: "berth" }).issue({ subject: "alice", audience: host, access: [], context: {} })).token;
    // Signed by another key but claiming the server's kid: the signature must not verify.
    const [, fp, fs] = forged.split(".");
    const kidSwapped = `${good.split(".")[0]}.${fp}.${fs}`;
    for (const bearer of ["garbage", "a.b.c", expired, forged, kidSwapped, `${good}x`]) {
      const res = await fetch(`${server.url}/v2/`, { headers: { Authorization: `Bearer ${bearer}` } });
      await expectChallenge(res);
    }
  });

  test("Basic credentials are not accepted on /v2/* (only at /v2/auth)", async () => {
    const repo = await pushedRepo(ALICE, `alice/basic-${uniq()}`);
    for (const path of ["/v2/", `/v2/${repo}/tags/list`, `/v2/${repo}/manifests/v1`]) {
      const res = await fetch(`${server.url}${path}`, { headers: { Authorization: basicAuth(...ALICE) } });
      expect(res.status).toBe(401);
      expect(res.headers.get("www-authenticate")).toStartWith(`Bearer realm="${server.url}/v2/auth"`);
      await res.arrayBuffer();
    }
  });
});

describe("GET /v2/auth", () => {
  test("answer shape, Cache-Control, and the JWT's header and claims", async () => {
    const repo = await pushedRepo(ALICE, `alice/shape-${uniq()}`);
    const before = Math.floor(Date.now() / 1000);
    const res = await authRequest(ALICE, [`repository:${repo}:pull`]);
    expect(res.status).toBe(200);
    expect(res.headers.get("cache-control")).toStartWith("no-cache, no-store");
    expect(res.headers.get("cache-control")).toContain("must-revalidate");
    expect(res.headers.get("content-type")).toStartWith("application/json");
    const body = (await res.json()) as Record<string, unknown>;
    expect(Object.keys(body).sort()).toEqual(["access_token", "expires_in", "issued_at", "token"]);
    expect(body.access_token).toBe(body.token);
    expect(body.expires_in).toBe(3600);
    expect(typeof body.issued_at).toBe("string");

    const { header, payload } = decodeJwt(body.token as string);
    expect(header.alg).toBe("RS256");
    expect(header.typ).toBe("JWT");
    expect(header.kid).toMatch(/^[A-Za-z0-9_-]{43}$/); // RFC 7638 SHA-256 thumbprint
    expect(payload.iss).toBe("berth");
    expect(payload.aud).toBe(host);
    expect(payload.sub).toBe("alice");
    expect(payload.iat).toBeGreaterThanOrEqual(before);
    expect(payload.iat).toBeLessThanOrEqual(Math.ceil(Date.now() / 1000));
    expect(payload.nbf).toBe(payload.iat);
    expect(payload.exp).toBe(payload.iat + 3600);
    expect(new Date(body.issued_at as string).getTime()).toBe(payload.iat * 1000);
    expect(payload.access).toEqual([{ type: "repository", name: repo, actions: ["pull"] }]);
    expect(payload.context).toMatchObject({
      version: 2,
      entity_kind: "user",
      entity_reference: users.alice!.uuid,
      kind: "user",
      user: "alice",
      "com.apostille.root": "$disabled",
    });
  });

  test("login by email works and names the user", async () => {
    const token = await tokenFor(["alice@example.com", PASSWORDS.alice]);
    expect(decodeJwt(token).payload.sub).toBe("alice");
  });

  test("a wrong password: 401 UNAUTHORIZED (so is an unknown user)", async () => {
    for (const creds of [["alice", "wrong-password"], ["nobody-here", "whatever-1"]] as const) {
      const res = await authRequest(creds, ["repository:alice/x:pull"]);
      const errors = await expectError(res, 401, "UNAUTHORIZED");
      expect(errors[0]!.message).toBe("Invalid Username or Password");
    }
  });

  test("malformed or non-Basic credentials: 401", async () => {
    for (const header of ["Basic !!!", "Basic " + Buffer.from("no-colon").toString("base64"), "Bearer abc"]) {
      const res = await fetch(`${server.url}/v2/auth?service=${host}&scope=repository:alice/x:pull`, { headers: { Authorization: header } });
      await expectError(res, 401, "UNAUTHORIZED");
    }
  });

  test("no credentials and no scope: 401 (docker login without credentials)", async () => {
    await expectError(await authRequest(undefined), 401, "UNAUTHORIZED");
    await expectError(await authRequest(undefined, [""]), 401, "UNAUTHORIZED");
  });

  test("anonymous with a scope: a token with empty actions for a private repository", async () => {
    const repo = await pushedRepo(ALICE, `alice/anon-${uniq()}`);
    const token = await tokenFor(undefined, `repository:${repo}:pull,push`);
    const { payload } = decodeJwt(token);
    expect(payload.sub).toBe("(anonymous)");
    expect(payload.access).toEqual([{ type: "repository", name: repo, actions: [] }]);
    expect(payload.context).toEqual({ "com.apostille.root": "$disabled" });
    // …and that token pulls nothing.
    await expectChallenge(await client(token).fetch(`/v2/${repo}/manifests/v1`), `repository:${repo}:pull`);
  });

  test("several scope parameters, and several space-separated scopes in one value", async () => {
    const a = await pushedRepo(ALICE, `alice/multi-a-${uniq()}`);
    const b = await pushedRepo(ALICE, `alice/multi-b-${uniq()}`);
    const c = await pushedRepo(ALICE, `alice/multi-c-${uniq()}`);
    const token = await tokenFor(ALICE, `repository:${a}:pull`, `repository:${b}:pull repository:${c}:push,pull`);
    expect(accessOf(token)).toEqual([
      { type: "repository", name: a, actions: ["pull"] },
      { type: "repository", name: b, actions: ["pull"] },
      { type: "repository", name: c, actions: ["pull", "push"] },
    ]);
    const alice = client(token);
    for (const repo of [a, b, c]) expect((await alice.fetch(`/v2/${repo}/manifests/v1`)).status).toBe(200);
    // The same repository named twice: one entry, actions merged.
    expect(accessOf(await tokenFor(ALICE, `repository:${a}:pull`, `repository:${a}:push`))).toEqual([
      { type: "repository", name: a, actions: ["pull", "push"] },
    ]);
  });

  test("a scope naming the registry host works for the bare repository", async () => {
    const repo = await pushedRepo(ALICE, `alice/hosted-${uniq()}`);
    const token = await tokenFor(ALICE, `repository:${host}/${repo}:pull`);
    expect(accessOf(token)).toEqual([{ type: "repository", name: repo, actions: ["pull"] }]);
    expect((await client(token).fetch(`/v2/${repo}/manifests/v1`)).status).toBe(200);
  });

  test("a namespace with a dot (john.doe) is a namespace, not a registry host: push and pull work", async () => {
    const name = `john.doe${uniq()}`;
    await createUsers(stores, { [name]: "john-Secret-1" });
    const repo = `${name}/app`;
    const token = await tokenFor([name, "john-Secret-1"], `repository:${repo}:pull,push`);
    expect(accessOf(token)).toEqual([{ type: "repository", name: repo, actions: ["pull", "push"] }]);
    await client(token).pushImage(repo, "v1", { layers: 1, layerSize: 64 });
    expect((await client(token).fetch(`/v2/${repo}/manifests/v1`)).status).toBe(200);
    // Its token is for that repository only, not for `app` on a host called john.doe….
    expect((await client(token).fetch(`/v2/library/app/manifests/v1`)).status).toBe(401);
  });

  test("actions the caller may not have are dropped, not refused", async () => {
    const repo = await pushedRepo(ALICE, `alice/drop-${uniq()}`);
    await stores.permissions.set((await stores.repositories.find(repo))!.id, { userId: users.bob!.id }, "read");
    const res = await authRequest(BOB, [`repository:${repo}:pull,push,delete,*`]);
    expect(res.status).toBe(200);
    const { token } = (await res.json()) as { token: string };
    expect(accessOf(token)).toEqual([{ type: "repository", name: repo, actions: ["pull"] }]);
    // A repository bob has nothing on: the entry is there with no actions.
    const other = await pushedRepo(ALICE, `alice/drop2-${uniq()}`);
    expect(accessOf(await tokenFor(BOB, `repository:${other}:pull,push`))).toEqual([{ type: "repository", name: other, actions: [] }]);
  });

  test("push to a missing repository in one's own namespace creates it, private, creator admin", async () => {
    const repo = `alice/new-${uniq()}`;
    expect((await stores.repositories.find(repo))).toBeUndefined();
    const token = await tokenFor(ALICE, `repository:${repo}:pull,push`);
    expect(accessOf(token)).toEqual([{ type: "repository", name: repo, actions: ["pull", "push"] }]);
    const row = (await stores.repositories.find(repo));
    expect(row).toBeDefined();
    expect(row!.visibility).toBe("private");
    expect((await stores.permissions.grantsOn(row!.id, { userId: users.alice!.id }, [])).direct).toBe("admin");
    await client(token).pushImage(repo, "v1", { layers: 1, layerSize: 64 });
    // Only what was asked for: push alone creates too, and grants push alone.
    const pushOnly = `alice/new-${uniq()}`;
    expect(accessOf(await tokenFor(ALICE, `repository:${pushOnly}:push`))[0]!.actions).toEqual(["push"]);
    expect((await stores.repositories.find(pushOnly))?.visibility).toBe("private");
    // Private: bob cannot read it, anonymous neither.
    expect(accessOf(await tokenFor(BOB, `repository:${repo}:pull`))[0]!.actions).toEqual([]);
    await expectChallenge(await fetch(`${server.url}/v2/${repo}/manifests/v1`), `repository:${repo}:pull`);
  });

  test("no creating in someone else's namespace without a grant: empty actions, nothing created", async () => {
    const repo = `alice/bobs-attempt-${uniq()}`;
    const token = await tokenFor(BOB, `repository:${repo}:pull,push`);
    expect(accessOf(token)).toEqual([{ type: "repository", name: repo, actions: [] }]);
    expect((await stores.repositories.find(repo))).toBeUndefined();
    // Nor in a namespace that does not exist (only full-access superusers create those).
    const nowhere = `ns-${uniq()}/app`;
    expect(accessOf(await tokenFor(BOB, `repository:${nowhere}:push`))[0]!.actions).toEqual([]);
    expect((await stores.repositories.find(nowhere))).toBeUndefined();
  });

  test("the superuser may push anywhere, creating the namespace", async () => {
    const repo = `su-${uniq()}/app`;
    const token = await tokenFor(ADMIN, `repository:${repo}:pull,push`);
    expect(accessOf(token)[0]!.actions).toEqual(["pull", "push"]);
    await client(token).pushImage(repo, "v1", { layers: 1, layerSize: 64 });
    expect((await stores.orgs.namespace(repo.split("/")[0]!))?.kind).toBe("org");
  });

  test("invalid scopes: 400 INVALID_REQUEST", async () => {
    for (const scope of ["garbage", "repository:alice/x", "repository:Alice/UPPER:pull", "repository:a:b/c:pull", "repository:alice//x:pull"]) {
      const res = await authRequest(ALICE, [scope]);
      await expectError(res, 400, "INVALID_REQUEST");
    }
  });
});

describe("scope enforcement on /v2", () => {
  test("a token for repository A used on B: 401 with B's scope in the challenge", async () => {
    const a = await pushedRepo(ALICE, `alice/a-${uniq()}`);
    const b = await pushedRepo(ALICE, `alice/b-${uniq()}`);
    const alice = client(await tokenFor(ALICE, `repository:${a}:pull`));
    expect((await alice.fetch(`/v2/${a}/manifests/v1`)).status).toBe(200);
    const errors = await expectChallenge(await alice.fetch(`/v2/${b}/manifests/v1`), `repository:${b}:pull`, true);
    expect(errors[0]!.detail).toEqual({ scope: `repository:${b}:pull` });
    await expectChallenge(await alice.fetch(`/v2/${b}/tags/list`), `repository:${b}:pull`, true);
  });

  test("a pull-only token cannot push: POST uploads and PUT manifest are 401", async () => {
    const repo = await pushedRepo(ALICE, `alice/ro-${uniq()}`);
    const alice = client(await tokenFor(ALICE, `repository:${repo}:pull`));
    const bytes = randomBytes(100);
    await expectChallenge(
      await alice.fetch(`/v2/${repo}/blobs/uploads/`, { method: "POST", headers: { "Content-Length": "0" } }),
      `repository:${repo}:pull,push`,
      true,
    );
    await expectChallenge(
      await alice.fetch(`/v2/${repo}/blobs/uploads/?digest=sha256:${new Bun.CryptoHasher("sha256").update(bytes).digest("hex")}`, { method: "POST", body: bytes }),
      `repository:${repo}:pull,push`,
      true,
    );
    const manifest = await alice.fetch(`/v2/${repo}/manifests/v1`);
    const manifestBytes = new Uint8Array(await manifest.arrayBuffer());
    const { res } = await alice.putManifest(repo, "v2", manifestBytes, manifest.headers.get("content-type")!);
    await expectChallenge(res, `repository:${repo}:pull,push`, true);
    await expectChallenge(await alice.fetch(`/v2/${repo}/manifests/v1`, { method: "DELETE" }), `repository:${repo}:delete`, true);
    // Nothing was written.
    expect(((await (await alice.fetch(`/v2/${repo}/tags/list`)).json()) as any).tags).toEqual(["v1"]);
  });

  test("a token whose payload was edited (signature kept): 401", async () => {
    const repo = await pushedRepo(ALICE, `alice/edit-${uniq()}`);
    const other = await pushedRepo(ADMIN, `admin/edit-${uniq()}`);
    const token = await tokenFor(ALICE, `repository:${repo}:pull`);
    const edits: ((p: any) => void)[] = [
      (p) => (p.access = [{ type: "repository", name: repo, actions: ["pull", "push"] }]),
      (p) => (p.access = [{ type: "repository", name: other, actions: ["pull"] }]),
      (p) => (p.sub = "admin"),
      (p) => (p.exp += 3600),
    ];
    for (const edit of edits) {
      const forged = client(withPayload(token, edit));
      await expectChallenge(await forged.fetch(`/v2/${repo}/manifests/v1`), `repository:${repo}:pull`);
    }
    const forgedPush = client(withPayload(token, edits[0]!));
    await expectChallenge(
      await forgedPush.fetch(`/v2/${repo}/blobs/uploads/`, { method: "POST", headers: { "Content-Length": "0" } }),
      `repository:${repo}:pull,push`,
    );
    // The genuine token still works.
    expect((await client(token).fetch(`/v2/${repo}/manifests/v1`)).status).toBe(200);
  });

  test("an expired token signed by the server's key: 401", async () => {
    const repo = await pushedRepo(ALICE, `alice/exp-${uniq()}`);
    const access = [{ type: "repository", name: repo, actions: ["pull"] }];
    const fresh = await mintWithServerKey(Date.now(), access);
    expect((await client(fresh).fetch(`/v2/${repo}/manifests/v1`)).status).toBe(200);
    const expired = await mintWithServerKey(Date.now() - 3601_000 - 60_000, access);
    await expectChallenge(await client(expired).fetch(`/v2/${repo}/manifests/v1`), `repository:${repo}:pull`);
  });

  test("private repositories: missing and not-yours answer the same 401", async () => {
    const hidden = await pushedRepo(ADMIN, `admin/hidden-${uniq()}`);
    const missing = `admin/missing-${uniq()}`;
    const token = await tokenFor(ALICE, `repository:${hidden}:pull`, `repository:${missing}:pull`);
    expect(accessOf(token).map((e) => e.actions)).toEqual([[], []]);
    const normalise = (s: string, name: string) => s.replaceAll(name, "NAME");
    for (const bearer of [token, undefined]) {
      const alice = client(bearer);
      for (const path of ["manifests/v1", "tags/list", `blobs/sha256:${"0".repeat(64)}`]) {
        const a = await alice.fetch(`/v2/${hidden}/${path}`);
        const b = await alice.fetch(`/v2/${missing}/${path}`);
        expect(a.status).toBe(401);
        expect(b.status).toBe(401);
        expect(normalise(await a.text(), hidden)).toBe(normalise(await b.text(), missing));
        expect(normalise(a.headers.get("www-authenticate")!, hidden)).toBe(normalise(b.headers.get("www-authenticate")!, missing));
      }
    }
  });

  test("anonymous pulls: a public repository with no token at all; a private one is 401", async () => {
    const repo = await pushedRepo(ALICE, `alice/pub-${uniq()}`);
    const anon = client();
    await expectChallenge(await anon.fetch(`/v2/${repo}/manifests/v1`), `repository:${repo}:pull`);
    expect(await setRepoVisibility(server, repo, "public")).toBe(true);
    const manifest = await anon.fetch(`/v2/${repo}/manifests/v1`);
    expect(manifest.status).toBe(200);
    const layer = ((await manifest.json()) as any).layers[0].digest as string;
    expect((await anon.fetch(`/v2/${repo}/blobs/${layer}`)).status).toBe(200);
    expect((await anon.fetch(`/v2/${repo}/tags/list`)).status).toBe(200);
    // Pulling is all: no anonymous push into a public repository.
    await expectChallenge(
      await anon.fetch(`/v2/${repo}/blobs/uploads/`, { method: "POST", headers: { "Content-Length": "0" } }),
      `repository:${repo}:pull,push`,
    );
    // An anonymous token for it grants pull, and bob (no grant) gets pull too.
    expect(accessOf(await tokenFor(undefined, `repository:${repo}:pull,push`))[0]!.actions).toEqual(["pull"]);
    expect(accessOf(await tokenFor(BOB, `repository:${repo}:pull,push`))[0]!.actions).toEqual(["pull"]);
    // Private again: closed again.
    expect(await setRepoVisibility(server, repo, "private")).toBe(true);
    await expectChallenge(await anon.fetch(`/v2/${repo}/manifests/v1`), `repository:${repo}:pull`);
  });

  test("visibility changed by another process (the CLI's connection) takes effect while serving", async () => {
    const repo = await pushedRepo(ALICE, `alice/cli-${uniq()}`);
    const anon = client();
    await expectChallenge(await anon.fetch(`/v2/${repo}/manifests/v1`), `repository:${repo}:pull`); // cached: private
    const cli = await openStoresLike(server.server.ctx.config);
    try {
      const { registry } = registryFor(cli);
      expect(await repoVisibility(cli, registry, repo, "public")).toBe(`${repo} is now public`);
      expect(await statusWithin(() => anon.fetch(`/v2/${repo}/manifests/v1`), 200)).toBe(200);
      await repoVisibility(cli, registry, repo, "private");
      expect(await statusWithin(() => anon.fetch(`/v2/${repo}/manifests/v1`), 401)).toBe(401);
      expect(accessOf(await tokenFor(undefined, `repository:${repo}:pull`))[0]!.actions).toEqual([]);
    } finally {
      await cli.close();
    }
  });
});

describe("refusals a logged-in user can read", () => {
  test("a logged-in caller without the right: DENIED with error=\"insufficient_scope\"; anonymous callers are asked to log in", async () => {
    const repo = await pushedRepo(ALICE, `alice/deny-${uniq()}`);
    const scope = `repository:${repo}:pull,push`;
    const start = (c: BearerRegistryClient) => c.fetch(`/v2/${repo}/blobs/uploads/`, { method: "POST", headers: { "Content-Length": "0" } });
    // Bob is logged in but has no right on alice's repository: his token carries no actions.
    const bob = await tokenFor(BOB, scope);
    expect(accessOf(bob)[0]!.actions).toEqual([]);
    await expectChallenge(await start(client(bob)), scope, true);
    await expectChallenge(await client(bob).fetch(`/v2/${repo}/manifests/v1`), `repository:${repo}:pull`, true);
    // No token, or an anonymous one: authentication would help, so the plain challenge.
    await expectChallenge(await start(client()), scope);
    await expectChallenge(await start(client(await tokenFor(undefined, scope))), scope);
    // A bad token is not "denied" either.
    await expectChallenge(await start(client("not-a-jwt")), scope);
  });
});

describe("cross-repository mount challenge", () => {
  test("without a token both scopes are challenged; a token for them makes the mount succeed (201)", async () => {
    const src = await pushedRepo(ALICE, `alice/msrc-${uniq()}`);
    const dst = `alice/mdst-${uniq()}`;
    const layer = (await client(await tokenFor(ALICE, `repository:${src}:pull`)).fetch(`/v2/${src}/manifests/v1`)).json();
    const digest = ((await layer) as { layers: { digest: string }[] }).layers[0]!.digest;
    const mount = (c: BearerRegistryClient) => c.fetch(`/v2/${dst}/blobs/uploads/?mount=${digest}&from=${src}`, { method: "POST", headers: { "Content-Length": "0" } });

    const refused = await mount(client());
    const scope = `repository:${dst}:pull,push repository:${src}:pull`;
    await expectChallenge(refused, scope);

    // Following the challenge: each scope as its own parameter (containerd) or all in one (as sent).
    for (const scopes of [scope.split(" "), [scope]]) {
      const token = await tokenFor(ALICE, ...scopes);
      expect(accessOf(token)).toEqual([
        { type: "repository", name: dst, actions: ["pull", "push"] },
        { type: "repository", name: src, actions: ["pull"] },
      ]);
      const mounted = await mount(client(token));
      expect(mounted.status).toBe(201);
      expect(mounted.headers.get("location")).toBe(`${server.url}/v2/${dst}/blobs/${digest}`);
    }
    // With only the target's scope the source cannot be read: a plain upload session instead.
    const narrow = await mount(client(await tokenFor(ALICE, `repository:${dst}:pull,push`)));
    expect(narrow.status).toBe(202);
  });

  test("a source outside the name grammar is left out of the challenge", async () => {
    const dst = `alice/mbad-${uniq()}`;
    const res = await client().fetch(`/v2/${dst}/blobs/uploads/?mount=sha256:${"a".repeat(64)}&from=../Etc`, { method: "POST" });
    await expectChallenge(res, `repository:${dst}:pull,push`);
  });
});

describe("_catalog", () => {
  test("lists only the repositories the token's user may read; an anonymous token sees none", async () => {
    const mine = await pushedRepo(ALICE, `alice/cat-${uniq()}`);
    const theirs = await pushedRepo(ADMIN, `admin/cat-${uniq()}`);
    const open = await pushedRepo(ADMIN, `admin/catpub-${uniq()}`);
    await setRepoVisibility(server, open, "public");
    const granted = await pushedRepo(ADMIN, `admin/catgrant-${uniq()}`);
    await stores.permissions.set((await stores.repositories.find(granted))!.id, { userId: users.alice!.id }, "read");

    const list = async (token?: string) => {
      const res = await client(token).fetch("/v2/_catalog");
      expect(res.status).toBe(200);
      return ((await res.json()) as { repositories: string[] }).repositories;
    };
    const alice = await list(await tokenFor(ALICE, "registry:catalog:*"));
    expect(alice).toContain(mine);
    expect(alice).toContain(open);
    expect(alice).toContain(granted);
    expect(alice).not.toContain(theirs);
    for (const r of alice) expect(r.startsWith("alice/") || r === open || r === granted || (await stores.repositories.find(r))?.visibility === "public").toBe(true);

    const bob = await list(await tokenFor(BOB));
    expect(bob).not.toContain(mine);
    expect(bob).not.toContain(theirs);
    expect(bob).toContain(open);

    const admin = await list(await tokenFor(ADMIN));
    for (const r of [mine, theirs, open, granted]) expect(admin).toContain(r);

    // An anonymous token lists nothing, not even public repositories.
    expect(await list(await tokenFor(undefined, `repository:${open}:pull`))).toEqual([]);
  });

  test("no token: 401 challenging for registry:catalog:* (so clients log in); a bad token: 401", async () => {
    await expectChallenge(await client().fetch("/v2/_catalog"), "registry:catalog:*");
    await expectChallenge(await client("garbage").fetch("/v2/_catalog"), "registry:catalog:*");
    const res = await fetch(`${server.url}/v2/_catalog`, { headers: { Authorization: basicAuth(...ALICE) } });
    await expectChallenge(res, "registry:catalog:*");
  });

  test("pagination counts only what the caller may see", async () => {
    const open: string[] = [];
    for (let i = 0; i < 2; i++) open.push(await pushedRepo(ADMIN, `admin/page-${uniq()}`));
    for (const r of open) await setRepoVisibility(server, r, "public");
    const hidden = await pushedRepo(ADMIN, `admin/page-hidden-${uniq()}`);
    const token = await tokenFor(BOB, "registry:catalog:*");
    const all = ((await (await client(token).fetch("/v2/_catalog")).json()) as { repositories: string[] }).repositories;
    for (const r of open) expect(all).toContain(r);
    expect(all).not.toContain(hidden);
    const first = await client(token).fetch("/v2/_catalog?n=1");
    expect(((await first.json()) as { repositories: string[] }).repositories).toEqual(all.slice(0, 1));
    expect(first.headers.get("link")).toBe(`</v2/_catalog?n=1&last=${encodeURIComponent(all[0]!)}>; rel="next"`);
    const rest = await client(token).fetch(`/v2/_catalog?last=${encodeURIComponent(all[0]!)}`);
    expect(((await rest.json()) as { repositories: string[] }).repositories).toEqual(all.slice(1));
  });
});

describe("robots", () => {
  test("owner+short and its token push and pull where granted in the owner's namespace", async () => {
    const robotToken = await robotAdd(stores, "alice+ci");
    const ROBOT: Creds = ["alice+ci", robotToken];
    const repo = await pushedRepo(ALICE, `alice/robot-${uniq()}`);
    // No grant yet: nothing (alice's namespace is not the robot's to use).
    expect(accessOf(await tokenFor(ROBOT, `repository:${repo}:pull,push`))[0]!.actions).toEqual([]);
    // A user-owned robot never creates repositories.
    expect(accessOf(await tokenFor(ROBOT, `repository:alice/robot-new-${uniq()}:push`))[0]!.actions).toEqual([]);

    await stores.permissions.set((await stores.repositories.find(repo))!.id, { robotId: (await stores.robots.byName("alice+ci"))!.id }, "write");
    const token = await tokenFor(ROBOT, `repository:${repo}:pull,push`);
    const { payload } = decodeJwt(token);
    expect(payload.sub).toBe("alice+ci");
    expect(payload.context).toMatchObject({ entity_kind: "robot", entity_reference: "alice+ci", kind: "user", user: "alice+ci" });
    expect(payload.access).toEqual([{ type: "repository", name: repo, actions: ["pull", "push"] }]);
    const robot = client(token);
    const image = await robot.pushImage(repo, "robot", { layers: 1, layerSize: 64 });
    const pulled = await robot.fetch(`/v2/${repo}/manifests/robot`, { headers: { Accept: image.mediaType } });
    expect(pulled.status).toBe(200);
    expect(pulled.headers.get("docker-content-digest")).toBe(image.digest);
  });

  test("an org robot in a creator team creates and pushes in the org", async () => {
    await orgAdd(stores, "acme", "alice");
    const ns = (await stores.orgs.namespace("acme"))!;
    const robotToken = await robotAdd(stores, "acme+builder");
    const team = await stores.teams.setTeam(ns.id, "builders", "creator");
    await stores.teams.addMember(team, { robotId: (await stores.robots.byName("acme+builder"))!.id });
    const repo = `acme/app-${uniq()}`;
    const token = await tokenFor(["acme+builder", robotToken], `repository:${repo}:pull,push`);
    expect(accessOf(token)[0]!.actions).toEqual(["pull", "push"]);
    await client(token).pushImage(repo, "v1", { layers: 1, layerSize: 64 });
    expect((await stores.repositories.find(repo))?.visibility).toBe("private");
    // Alice owns the org (owners team: admin), so she reads it; bob does not.
    expect(accessOf(await tokenFor(ALICE, `repository:${repo}:pull`))[0]!.actions).toEqual(["pull"]);
    expect(accessOf(await tokenFor(BOB, `repository:${repo}:pull`))[0]!.actions).toEqual([]);
  });

  test("a regenerated robot token: the old one is refused at /v2/auth, the new one works", async () => {
    const oldToken = await robotAdd(stores, "bob+deploy");
    const row = (await stores.robots.byName("bob+deploy"))!;
    await tokenFor(["bob+deploy", oldToken], "repository:bob/x:pull"); // cached as a success
    const newToken = "N".repeat(64);
    await stores.robots.setToken(row.id, newToken);
    auth.authenticator.forget("bob+deploy");
    await expectError(await authRequest(["bob+deploy", oldToken], ["repository:bob/x:pull"]), 401, "UNAUTHORIZED");
    expect(decodeJwt(await tokenFor(["bob+deploy", newToken], "repository:bob/x:pull")).payload.sub).toBe("bob+deploy");
  });

  test("a robot whose user owner is disabled cannot log in", async () => {
    const out = await stores.users.create(`owner${uniq()}`, null, await hashPassword("owner-Secret-1"));
    if (out.kind !== "ok") throw new Error("create");
    const name = `${out.user.username}+bot`;
    const t = await robotAdd(stores, name);
    await tokenFor([name, t], `repository:${out.user.username}/x:pull`);
    await userSetEnabled(stores, out.user.username, false);
    await expectError(await authRequest([name, t], [`repository:${out.user.username}/x:pull`]), 401, "UNAUTHORIZED");
  });
});

describe("app-specific tokens ($app)", () => {
  async function createAppToken(user: UserRow, expiresMs: number | null): Promise<{ code: string; uuid: string }> {
    const code = newAppTokenCode();
    const row = await stores.appTokens.create(user.id, `cli ${uniq()}`, appTokenLookup(code), hashAppTokenCode(code), expiresMs);
    return { code, uuid: row.uuid };
  }

  test("`$app` with the code logs in as the token's user", async () => {
    const { code, uuid } = await createAppToken(users.alice!, Date.now() + 3600_000);
    expect(code).toHaveLength(120);
    const repo = await pushedRepo(ALICE, `alice/app-${uniq()}`);
    const token = await tokenFor(["$app", code], `repository:${repo}:pull,push`);
    const { payload } = decodeJwt(token);
    expect(payload.sub).toBe("alice");
    expect(payload.context).toMatchObject({ entity_kind: "appspecifictoken", entity_reference: uuid, kind: "user", user: "alice" });
    expect(payload.access[0].actions).toEqual(["pull", "push"]);
    expect((await client(token).fetch(`/v2/${repo}/manifests/v1`)).status).toBe(200);
    // A wrong code with a right lookup prefix fails.
    const wrong = code.slice(0, 16) + "x".repeat(104);
    await expectError(await authRequest(["$app", wrong], [`repository:${repo}:pull`]), 401, "UNAUTHORIZED");
  });

  test("a revoked app token is refused, even right after a cached success", async () => {
    const { code, uuid } = await createAppToken(users.alice!, null);
    await tokenFor(["$app", code], "repository:alice/x:pull"); // cached as a success
    expect(await stores.appTokens.revoke(users.alice!.id, uuid)).toBe(true);
    auth.authenticator.forget("alice"); // what a revoke endpoint would do for its user
    await expectError(await authRequest(["$app", code], ["repository:alice/x:pull"]), 401, "UNAUTHORIZED");
  });

  test("an expired app token is refused", async () => {
    const { code } = await createAppToken(users.alice!, Date.now() - 1000);
    await expectError(await authRequest(["$app", code], ["repository:alice/x:pull"]), 401, "UNAUTHORIZED");
  });

  test("an app token that expires while its success is cached stops working", async () => {
    const { code } = await createAppToken(users.alice!, Date.now() + 1500);
    await tokenFor(["$app", code], "repository:alice/x:pull");
    await Bun.sleep(1600);
    await expectError(await authRequest(["$app", code], ["repository:alice/x:pull"]), 401, "UNAUTHORIZED");
  });
});

describe("disabled users", () => {
  test("401 at once, even right after a successful (cached) login; back after enabling", async () => {
    const DORA: Creds = ["dora", PASSWORDS.dora];
    await tokenFor(DORA, "repository:dora/x:pull");
    await userSetEnabled(stores, "dora", false);
    await expectError(await authRequest(DORA, ["repository:dora/x:pull"]), 401, "UNAUTHORIZED");
    await expectError(await authRequest(DORA), 401, "UNAUTHORIZED");
    await resetThrottle();
    await userSetEnabled(stores, "dora", true);
    await tokenFor(DORA, "repository:dora/x:pull");
  });
});

describe("a password hashed with older parameters", () => {
  const EARLIER = { algorithm: "argon2id", memoryCost: 19456, timeCost: 2 } as const;

  async function userWithEarlierHash(password: string): Promise<UserRow> {
    const out = await stores.users.create(`early${uniq()}`, null, await Bun.password.hash(password, EARLIER));
    if (out.kind !== "ok") throw new Error("create");
    return out.user;
  }

  test("is hashed again at the first successful login; the account and its sessions go on", async () => {
    const user = await userWithEarlierHash("early-Secret-1");
    expect(needsRehash(user.passwordHash!)).toBe(true);
    await expectError(await authRequest([user.username, "early-Secret-2"], []), 401, "UNAUTHORIZED");
    expect((await stores.users.byId(user.id))?.passwordHash).toBe(user.passwordHash);
    await tokenFor([user.username, "early-Secret-1"], `repository:${user.username}/x:pull`);
    const after = (await stores.users.byId(user.id))!;
    expect(after.passwordHash).toStartWith("$argon2id$v=19$m=7168,t=5,p=1$");
    expect(after.uuid).toBe(user.uuid);
    await tokenFor([user.username, "early-Secret-1"], `repository:${user.username}/x:pull`);
    await expectError(await authRequest([user.username, "early-Secret-2"], []), 401, "UNAUTHORIZED");
  });

  test("a read-only registry's authenticator checks it but writes nothing", async () => {
    const user = await userWithEarlierHash("early-Secret-1");
    const readOnly = new Authenticator(stores, { throttle: new SingleNodeLoginThrottle(), rehashPasswords: false });
    expect(await readOnly.authenticate(user.username, "early-Secret-1", "127.0.0.1")).toMatchObject({ ok: true });
    expect((await stores.users.byId(user.id))?.passwordHash).toBe(user.passwordHash);
  });
});

describe("login backoff", () => {
  test("wrong passwords are 401, then 429 with Retry-After; after waiting, the right password works", async () => {
    const wrong: Creds = ["bob", "not-the-password"];
    // Three failures are free (typos); the fourth still answers 401 and starts the wait.
    for (let i = 1; i <= 4; i++) await expectError(await authRequest(wrong, ["repository:bob/x:pull"]), 401, "UNAUTHORIZED");
    const throttled = await authRequest(wrong, ["repository:bob/x:pull"]);
    const retryAfter = Number(throttled.headers.get("retry-after"));
    const errors = await expectError(throttled, 429, "TOOMANYREQUESTS");
    expect(retryAfter).toBeGreaterThanOrEqual(1);
    expect(retryAfter).toBeLessThanOrEqual(2);
    expect(errors[0]!.detail).toEqual({ retryAfter });
    // While waiting, even the right password is turned away (the check comes first).
    expect((await authRequest(BOB, ["repository:bob/x:pull"])).status).toBe(429);
    await Bun.sleep(retryAfter * 1000 + 50);
    const token = await tokenFor(BOB, "repository:bob/x:pull");
    expect(decodeJwt(token).payload.sub).toBe("bob");
  });

  test("wrong $app codes do not lock other people's app tokens out (only the guessing address)", async () => {
    const code = newAppTokenCode();
    await stores.appTokens.create(users.alice!.id, "ci", appTokenLookup(code), hashAppTokenCode(code), null);
    const authenticator = auth.authenticator;
    for (let i = 0; i < 20; i++) await authenticator.authenticate("$app", newAppTokenCode(), `10.1.0.${i % 2}`);
    expect((await authenticator.authenticate("$app", newAppTokenCode(), "10.1.0.1")).ok).toBe(false);
    const fromElsewhere = await authenticator.authenticate("$app", code, "10.2.0.1");
    expect(fromElsewhere.ok).toBe(true);
    // The guessing address itself is slowed down.
    for (let i = 0; i < 11; i++) await authenticator.authenticate("$app", newAppTokenCode(), "10.3.0.1");
    expect(await authenticator.authenticate("$app", code, "10.3.0.1")).toMatchObject({ ok: false, reason: "throttled" });
  });
});
