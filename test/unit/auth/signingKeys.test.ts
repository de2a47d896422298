import { afterEach, describe, expect, test } from "bun:test";
import { generateKeyPairSync } from "node:crypto";
import { copyFile, mkdtemp, readdir, readFile, rm, stat, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { calculateJwkThumbprint } from "jose";
import { DEFAULT_KEY_GRACE_MS, SigningKeyRing } from "../../../src/auth/signingKeys.ts";

const dirs: string[] = [];
async function tempDir(): Promise<string> {
  const d = await mkdtemp(join(tmpdir(), "berth-keys-"));
  dirs.push(d);
  return d;
}
afterEach(async () => {
  for (const d of dirs.splice(0)) await rm(d, { recursive: true, force: true });
});

const mode = async (p: string) => (await stat(p)).mode & 0o777;
const readJson = async (p: string) => JSON.parse(await readFile(p, "utf8"));

describe("SigningKeyRing creation and reload", () => {
  test("first start generates an RS256 key stored as a 0600 JWK named by its thumbprint", async () => {
    const dir = join(await tempDir(), "keys");
    const ring = await SigningKeyRing.loadOrCreate(dir);
    const { kid, alg } = ring.current;
    expect(alg).toBe("RS256");
    expect(kid).toMatch(/^[A-Za-z0-9_-]{43}$/);
    expect(await readdir(dir)).toEqual([`${kid}.private.jwk`]);
    expect(await mode(dir)).toBe(0o700);
    expect(await mode(join(dir, `${kid}.private.jwk`))).toBe(0o600);
    const jwk = await readJson(join(dir, `${kid}.private.jwk`));
    expect(jwk.kty).toBe("RSA");
    expect(Buffer.from(jwk.n, "base64url").length).toBe(256); // 2048 bits
    expect(typeof jwk.d).toBe("string");
    expect(await calculateJwkThumbprint({ kty: "RSA", n: jwk.n, e: jwk.e }, "sha256")).toBe(kid);
    expect(ring.current.privateKey.extractable).toBe(false);
  });

  test("reload keeps the same kid and does not create another key", async () => {
    const dir = await tempDir();
    const a = await SigningKeyRing.loadOrCreate(dir);
    const b = await SigningKeyRing.loadOrCreate(dir);
    expect(b.current.kid).toBe(a.current.kid);
    expect(await readdir(dir)).toHaveLength(1);
    expect(b.publicKeyFor(a.current.kid, Date.now(), DEFAULT_KEY_GRACE_MS)).toBeDefined();
  });

  test("reload tightens a private key file that became group/world readable", async () => {
    const dir = await tempDir();
    const a = await SigningKeyRing.loadOrCreate(dir);
    const file = join(dir, `${a.current.kid}.private.jwk`);
    await Bun.$`chmod 644 ${file}`.quiet();
    await SigningKeyRing.loadOrCreate(dir);
    expect(await mode(file)).toBe(0o600);
  });

  test("ES256 on request", async () => {
    const dir = await tempDir();
    const ring = await SigningKeyRing.loadOrCreate(dir, { alg: "ES256" });
    expect(ring.current.alg).toBe("ES256");
    const jwk = await readJson(join(dir, `${ring.current.kid}.private.jwk`));
    expect(jwk.crv).toBe("P-256");
    expect((await SigningKeyRing.loadOrCreate(dir)).current.kid).toBe(ring.current.kid);
  });

  test("a file whose name is not its thumbprint is refused", async () => {
    const dir = await tempDir();
    const a = await SigningKeyRing.loadOrCreate(dir);
    await Bun.$`mv ${join(dir, `${a.current.kid}.private.jwk`)} ${join(dir, "bogus.private.jwk")}`.quiet();
    await expect(SigningKeyRing.loadOrCreate(dir)).rejects.toThrow(/does not match its thumbprint/);
  });
});

describe("SigningKeyRing from a configured PEM file", () => {
  async function pemFile(dir: string, kind: "rsa" | "ec", bits = 2048): Promise<string> {
    const { privateKey } =
      kind === "rsa"
        ? generateKeyPairSync("rsa", { modulusLength: bits })
        : generateKeyPairSync("ec", { namedCurve: "P-256" });
    const path = join(dir, `${kind}.pem`);
    await writeFile(path, privateKey.export({ type: "pkcs8", format: "pem" }) as string);
    return path;
  }

  test("RSA PKCS8: kid is the thumbprint, nothing written to the key dir", async () => {
    const base = await tempDir();
    const pem = await pemFile(base, "rsa");
    const dir = join(base, "keys");
    const ring = await SigningKeyRing.loadOrCreate(dir, { privateKeyFile: pem });
    expect(ring.current.alg).toBe("RS256");
    expect(await readdir(dir)).toEqual([]);
    const again = await SigningKeyRing.loadOrCreate(dir, { privateKeyFile: pem });
    expect(again.current.kid).toBe(ring.current.kid);
    const { keys } = await ring.publicJwks();
    expect(keys).toHaveLength(1);
    expect(await calculateJwkThumbprint(keys[0]!, "sha256")).toBe(ring.current.kid);
    expect(keys[0]!.d).toBeUndefined();
  });

  test("EC P-256 PEM gives ES256", async () => {
    const base = await tempDir();
    const ring = await SigningKeyRing.loadOrCreate(join(base, "k"), { privateKeyFile: await pemFile(base, "ec") });
    expect(ring.current.alg).toBe("ES256");
  });

  test.each([
    ["alg mismatch", "rsa", 2048, { alg: "ES256" as const }, /is RS256, configured ES256/],
    ["RSA under 2048 bits", "rsa", 1024, {}, /at least 2048 bits/],
  ] as const)("refused: %s", async (_name, kind, bits, opts, err) => {
    const base = await tempDir();
    const pem = await pemFile(base, kind, bits);
    await expect(SigningKeyRing.loadOrCreate(join(base, "k"), { ...opts, privateKeyFile: pem })).rejects.toThrow(err);
  });

  test("garbage instead of PEM is refused", async () => {
    const base = await tempDir();
    await writeFile(join(base, "x.pem"), "not a key");
    await expect(SigningKeyRing.loadOrCreate(join(base, "k"), { privateKeyFile: join(base, "x.pem") })).rejects.toThrow(/not a PEM/);
  });

  test("switching to a PEM key retires the generated one; rotate() is refused", async () => {
    const base = await tempDir();
    const dir = join(base, "k");
    const generated = await SigningKeyRing.loadOrCreate(dir);
    const ring = await SigningKeyRing.loadOrCreate(dir, { privateKeyFile: await pemFile(base, "rsa") });
    expect(await readdir(dir)).toEqual([`${generated.current.kid}.public.jwk`]);
    expect(ring.publicKeyFor(generated.current.kid, Date.now(), DEFAULT_KEY_GRACE_MS)).toBeDefined();
    await expect(ring.rotate()).rejects.toThrow(/configured file/);
  });
});

describe("SigningKeyRing rotation", () => {
  test("old key verifies until retiredAt + max lifetime, then is pruned", async () => {
    const dir = await tempDir();
    const ring = await SigningKeyRing.loadOrCreate(dir);
    const old = ring.current.kid;
    const before = Date.now();
    await ring.rotate();
    const after = Date.now();
    const fresh = ring.current.kid;
    expect(fresh).not.toBe(old);
    expect((await readdir(dir)).sort()).toEqual([`${fresh}.private.jwk`, `${old}.public.jwk`].sort());
    const retired = await readJson(join(dir, `${old}.public.jwk`));
    expect(retired.retiredAt).toBeGreaterThanOrEqual(before);
    expect(retired.retiredAt).toBeLessThanOrEqual(after);
    expect(retired.d).toBeUndefined();
    expect(await mode(join(dir, `${fresh}.private.jwk`))).toBe(0o600);

    const life = 3_690_000;
    expect(ring.publicKeyFor(old, retired.retiredAt + life, life)).toBeDefined();
    expect(ring.publicKeyFor(old, retired.retiredAt + life + 1, life)).toBeUndefined();
    expect(ring.publicKeyFor(fresh, retired.retiredAt + 100 * life, life)).toBeDefined(); // current never expires

    // Reload sees the same picture.
    const reloaded = await SigningKeyRing.loadOrCreate(dir);
    expect(reloaded.current.kid).toBe(fresh);
    expect(reloaded.publicKeyFor(old, retired.retiredAt + life, life)).toBeDefined();

    expect(await ring.pruneExpired(retired.retiredAt + life, life)).toEqual([]);
    expect(await ring.pruneExpired(retired.retiredAt + life + 1, life)).toEqual([old]);
    expect(await readdir(dir)).toEqual([`${fresh}.private.jwk`]);
    expect(ring.publicKeyFor(old, retired.retiredAt, life)).toBeUndefined();
  });

  test("load finishes an interrupted rotation: the newest private key wins, the other is retired", async () => {
    const a = await tempDir();
    const b = await tempDir();
    const first = await SigningKeyRing.loadOrCreate(a);
    await Bun.sleep(2);
    const second = await SigningKeyRing.loadOrCreate(b);
    await copyFile(join(b, `${second.current.kid}.private.jwk`), join(a, `${second.current.kid}.private.jwk`));
    const ring = await SigningKeyRing.loadOrCreate(a);
    expect(ring.current.kid).toBe(second.current.kid);
    expect((await readdir(a)).sort()).toEqual([`${first.current.kid}.public.jwk`, `${second.current.kid}.private.jwk`].sort());
    expect(ring.publicKeyFor(first.current.kid, Date.now(), DEFAULT_KEY_GRACE_MS)).toBeDefined();
  });

  test("a private key that already has a retired twin is deleted at load", async () => {
    const dir = await tempDir();
    const ring = await SigningKeyRing.loadOrCreate(dir);
    const old = ring.current.kid;
    const saved = await readFile(join(dir, `${old}.private.jwk`));
    await ring.rotate();
    await writeFile(join(dir, `${old}.private.jwk`), saved, { mode: 0o600 }); // crash before the delete
    const again = await SigningKeyRing.loadOrCreate(dir);
    expect(again.current.kid).toBe(ring.current.kid);
    expect(await readdir(dir)).not.toContain(`${old}.private.jwk`);
  });
});

test("leftover temp files from an interrupted write are removed at load", async () => {
  const dir = await tempDir();
  const ring = await SigningKeyRing.loadOrCreate(dir);
  await writeFile(join(dir, `${ring.current.kid}.private.jwk.123.456.tmp`), "{");
  await SigningKeyRing.loadOrCreate(dir);
  expect(await readdir(dir)).toEqual([`${ring.current.kid}.private.jwk`]);
});
