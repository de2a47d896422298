import { afterAll, beforeAll, describe, expect, test } from "bun:test";
import { mkdtemp, rm } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { base64url, decodeJwt, decodeProtectedHeader, exportSPKI, generateKeyPair, SignJWT, type JWTPayload } from "jose";
import { RegistryTokenService, type AccessEntry } from "../../../src/auth/registryToken.ts";
import { SigningKeyRing } from "../../../src/auth/signingKeys.ts";

const AUD = "localhost:8080";
const ISS = "berth";
const T0 = Date.UTC(2025, 0, 1); // a fixed clock; services read it through `now`
const T0s = T0 / 1000;
const access: AccessEntry[] = [{ type: "repository", name: "alice/app", actions: ["push", "pull"] }];
const context = { version: 2, entity_kind: "user", entity_reference: "uuid-1", kind: "user", user: "alice" };

let root: string;
let ring: SigningKeyRing;
let otherRing: SigningKeyRing;
let esRing: SigningKeyRing;
beforeAll(async () => {
  root = await mkdtemp(join(tmpdir(), "berth-jwt-"));
  ring = await SigningKeyRing.loadOrCreate(join(root, "a"));
  otherRing = await SigningKeyRing.loadOrCreate(join(root, "b"));
  esRing = await SigningKeyRing.loadOrCreate(join(root, "c"), { alg: "ES256" });
});
afterAll(() => rm(root, { recursive: true, force: true }));

function service(opts: { keys?: SigningKeyRing; leewaySeconds?: number; cacheSize?: number } = {}) {
  const clock = { ms: T0 };
  const svc = new RegistryTokenService({ keys: ring, issuer: ISS, now: () => clock.ms, ...opts });
  return { svc, clock };
}

const goodClaims = (): JWTPayload => ({
  iss: ISS, aud: AUD, sub: "alice", iat: T0s, nbf: T0s, exp: T0s + 3600, access, context,
});

/** Signs arbitrary claims with a ring's current key (or another key), header overridable. */
async function forge(claims: JWTPayload, header: Record<string, unknown> = {}, keys = ring, key?: CryptoKey | Uint8Array) {
  const { kid, alg, privateKey } = keys.current;
  return new SignJWT(claims).setProtectedHeader({ alg, kid, typ: "JWT", ...header } as any).sign(key ?? privateKey);
}

const b64 = (v: unknown) => base64url.encode(JSON.stringify(v));
const without = (k: string) => { const c = goodClaims(); delete c[k]; return c; };

describe("issue", () => {
  test("header, claims, and the response fields", async () => {
    const { svc } = service();
    const r = await svc.issue({ subject: "alice", audience: AUD, access, context });
    expect(r.expiresIn).toBe(3600);
    expect(r.issuedAt).toBe("2025-01-01T00:00:00.000Z");
    expect(decodeProtectedHeader(r.token)).toEqual({ alg: "RS256", kid: ring.current.kid, typ: "JWT" });
    expect(decodeJwt(r.token)).toEqual({ ...goodClaims() });
    const v = await svc.verify(r.token, AUD);
    expect(v).toEqual({ ok: true, claims: goodClaims() as any });
  });

  test("ES256 ring signs ES256", async () => {
    const { svc } = service({ keys: esRing });
    const { token } = await svc.issue({ subject: "(anonymous)", audience: AUD, access: [], context: {} });
    expect(decodeProtectedHeader(token).alg).toBe("ES256");
    expect((await svc.verify(token, AUD)).ok).toBe(true);
  });

  test("refuses an empty subject or malformed access", async () => {
    const { svc } = service();
    await expect(svc.issue({ subject: "", audience: AUD, access, context })).rejects.toThrow();
    await expect(svc.issue({ subject: "a", audience: AUD, access: [{ type: "repository" } as any], context })).rejects.toThrow();
  });
});

describe("verify refuses forged and broken tokens", () => {
  const cases: [string, () => Promise<string>, string][] = [
    ["alg none", async () => `${b64({ alg: "none", kid: ring.current.kid, typ: "JWT" })}.${b64(goodClaims())}.`, "algorithm not allowed"],
    ["alg none without kid", async () => `${b64({ alg: "none" })}.${b64(goodClaims())}.`, "algorithm not allowed"],
    ["HS256 keyed with the public key's PEM", async () => {
      const pem = await exportSPKI(ring.publicKeyFor(ring.current.kid, T0, 0)!);
      return forge(goodClaims(), { alg: "HS256" }, ring, new TextEncoder().encode(pem));
    }, "algorithm not allowed"],
    ["ES256 header on an RS256 key (alg swap)", async () => {
      const { privateKey } = await generateKeyPair("ES256");
      return forge(goodClaims(), { alg: "ES256" }, ring, privateKey);
    }, "algorithm not allowed"],
    ["signed by another ring, claiming our kid", () => forge(goodClaims(), { kid: ring.current.kid }, otherRing), "invalid signature"],
    ["unknown kid", () => forge(goodClaims(), {}, otherRing), "unknown or expired signing key"],
    ["no kid", () => forge(goodClaims(), { kid: undefined }), "missing key id"],
    ["edited access, signature kept", async () => {
      const [h, , s] = (await forge(goodClaims())).split(".");
      const edited = { ...goodClaims(), access: [{ type: "repository", name: "alice/app", actions: ["push", "pull", "*"] }] };
      return `${h}.${b64(edited)}.${s}`;
    }, "invalid signature"],
    ["expired (beyond leeway)", () => forge({ ...goodClaims(), iat: T0s - 3631, nbf: T0s - 3631, exp: T0s - 31 }), "token expired"],
    ["nbf in the future", () => forge({ ...goodClaims(), nbf: T0s + 120 }), "token not yet valid"],
    ["iat in the future", () => forge({ ...goodClaims(), iat: T0s + 120 }), "token issued in the future"],
    ["wrong aud", () => forge({ ...goodClaims(), aud: "evil.example" }), "wrong audience"],
    ["aud array containing ours", () => forge({ ...goodClaims(), aud: [AUD, "evil.example"] }), "wrong audience"],
    ["wrong iss", () => forge({ ...goodClaims(), iss: "quay" }), "wrong issuer"],
    ["missing sub", () => forge(without("sub")), "missing sub"],
    ["empty sub", () => forge({ ...goodClaims(), sub: "" }), "missing sub"],
    ["missing iat", () => forge(without("iat")), "missing iat"],
    ["missing nbf", () => forge(without("nbf")), "missing nbf"],
    ["missing exp", () => forge(without("exp")), "missing exp"],
    ["lifetime too long (3661 s)", () => forge({ ...goodClaims(), exp: T0s + 3661 }), "token lifetime too long"],
    ["access missing", () => forge(without("access")), "malformed access claim"],
    ["access not an array", () => forge({ ...goodClaims(), access: { type: "repository" } }), "malformed access claim"],
    ["access entry without actions", () => forge({ ...goodClaims(), access: [{ type: "repository", name: "a/b" }] }), "malformed access claim"],
    ["access actions not strings", () => forge({ ...goodClaims(), access: [{ type: "repository", name: "a/b", actions: [1] }] }), "malformed access claim"],
    ["context not an object", () => forge({ ...goodClaims(), context: "x" }), "malformed context claim"],
    ["signature stripped", async () => (await forge(goodClaims())).replace(/\.[^.]+$/, "."), "invalid signature"],
  ];
  test.each(cases)("%s", async (_name, make, reason) => {
    const { svc } = service();
    expect(await svc.verify(await make(), AUD)).toEqual({ ok: false, reason });
  });

  const garbage: unknown[] = ["", "abc", "a.b.c", "..", "...", "eyJ.eyJ.", `${b64({ alg: "RS256" })}..`, "x".repeat(20_000),
    `${b64([1])}.${b64({})}.sig`, `${b64({ alg: "RS256", kid: 5 })}.e30.`, null, undefined, 42, {}];
  test.each(garbage.map((g) => [typeof g === "string" ? JSON.stringify(g.slice(0, 30)) : String(g), g]))(
    "garbage %s: refused without throwing",
    async (_name, g) => {
      const { svc } = service();
      const r = await svc.verify(g as string, AUD);
      expect(r.ok).toBe(false);
      if (!r.ok) expect(r.reason.length).toBeGreaterThan(0);
    },
  );

  test("boundaries: exactly lifetime + 60 and within leeway are accepted", async () => {
    const { svc } = service();
    for (const claims of [
      { ...goodClaims(), exp: T0s + 3660 },
      { ...goodClaims(), iat: T0s + 30, nbf: T0s + 30, exp: T0s + 3630 }, // iat and nbf 30 s ahead
      { ...goodClaims(), iat: T0s - 3629, nbf: T0s - 3629, exp: T0s - 29 }, // expired 29 s ago
    ]) expect((await svc.verify(await forge(claims), AUD)).ok).toBe(true);
  });
});

describe("rotation", () => {
  test("a token from the retired key verifies until retiredAt + max lifetime, then not", async () => {
    const keys = await SigningKeyRing.loadOrCreate(join(root, "rot"));
    const clock = { ms: Date.now() };
    const svc = new RegistryTokenService({ keys, issuer: ISS, now: () => clock.ms });
    const old = await svc.issue({ subject: "alice", audience: AUD, access, context });
    await keys.rotate();
    const fresh = await svc.issue({ subject: "alice", audience: AUD, access, context });
    expect(decodeProtectedHeader(fresh.token).kid).not.toBe(decodeProtectedHeader(old.token).kid);
    expect((await svc.verify(old.token, AUD)).ok).toBe(true);
    expect((await svc.verify(fresh.token, AUD)).ok).toBe(true);
    clock.ms += 3590_000;
    svc.clearCache();
    expect((await svc.verify(old.token, AUD)).ok).toBe(true);
    clock.ms += svc.keyGraceMs;
    expect(await svc.verify(old.token, AUD)).toEqual({ ok: false, reason: "unknown or expired signing key" });
    await keys.pruneExpired(clock.ms, svc.keyGraceMs);
    expect(await svc.verify(old.token, AUD)).toEqual({ ok: false, reason: "unknown or expired signing key" });
  });
});

describe("verified-token cache", () => {
  test("serves the same frozen claims, and stops at exp", async () => {
    const { svc, clock } = service({ leewaySeconds: 0 });
    const { token } = await svc.issue({ subject: "alice", audience: AUD, access, context });
    const a = await svc.verify(token, AUD);
    const b = await svc.verify(token, AUD);
    if (!a.ok || !b.ok) throw new Error("expected ok");
    expect(b.claims).toBe(a.claims); // same object: served from the cache
    expect(svc.cachedTokens).toBe(1);
    expect(Object.isFrozen(a.claims.access[0]!.actions)).toBe(true);
    clock.ms = a.claims.exp * 1000 - 1;
    expect((await svc.verify(token, AUD)).ok).toBe(true);
    clock.ms = a.claims.exp * 1000;
    expect(await svc.verify(token, AUD)).toEqual({ ok: false, reason: "token expired" });
    expect(svc.cachedTokens).toBe(0);
  });

  test("with leeway, a token past exp is re-verified, not served from the cache, and not re-cached", async () => {
    const { svc, clock } = service();
    const { token } = await svc.issue({ subject: "alice", audience: AUD, access, context });
    const a = await svc.verify(token, AUD);
    clock.ms = T0 + 3600_000 + 10_000;
    const b = await svc.verify(token, AUD);
    if (!a.ok || !b.ok) throw new Error("expected ok");
    expect(b.claims).not.toBe(a.claims);
    expect(svc.cachedTokens).toBe(0);
  });

  test("a cached token is still checked against the audience", async () => {
    const { svc } = service();
    const { token } = await svc.issue({ subject: "alice", audience: AUD, access, context });
    expect((await svc.verify(token, AUD)).ok).toBe(true);
    expect(await svc.verify(token, "other:5000")).toEqual({ ok: false, reason: "wrong audience" });
  });

  test("is bounded", async () => {
    const { svc } = service({ cacheSize: 5 });
    for (let i = 0; i < 12; i++) {
      const { token } = await svc.issue({ subject: `u${i}`, audience: AUD, access, context });
      expect((await svc.verify(token, AUD)).ok).toBe(true);
      expect(svc.cachedTokens).toBeLessThanOrEqual(5);
    }
  });
});
