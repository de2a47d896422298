import { afterEach, describe, expect, test } from "bun:test";
import { chmodSync, mkdirSync, readdirSync, rmSync, statSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { openStores } from "../../../src/store";
import { restrictDataDir } from "../../../src/store/dataDirModes";
import { FieldCipher, loadDatabaseSecret } from "../../../src/store/fieldEncryption";
import { tempDir } from "../../support/server";

const dirs: string[] = [];
const dir = () => {
  const d = tempDir("berth-at-rest-");
  dirs.push(d);
  return d;
};
afterEach(() => {
  for (const d of dirs.splice(0)) rmSync(d, { recursive: true, force: true });
});

const secret = (byte: number) => new Uint8Array(32).fill(byte);
const modeOf = (path: string) => (statSync(path).mode & 0o777).toString(8);

describe("FieldCipher", () => {
  const cipher = new FieldCipher(secret(1), "robot token");

  test("seal and open round-trip; every seal differs; the plaintext is not in the sealed value", () => {
    const token = "ABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789ABCDEFGHIJKLMNOPQRSTUVWXYZ01";
    const a = cipher.seal(token);
    const b = cipher.seal(token);
    expect(a).not.toBe(b);
    expect(a).toStartWith("v1$$");
    expect(a).not.toContain(token);
    expect(FieldCipher.isSealed(a)).toBe(true);
    expect(cipher.open(a)).toBe(token);
    expect(cipher.open(b)).toBe(token);
  });

  test("what cannot be opened: another key, another purpose, a flipped byte, plaintext, garbage", () => {
    const sealed = cipher.seal("secret");
    // The second-to-last character (the last may hold only padding bits), changed for certain.
    const flipped = sealed.slice(0, -2) + (sealed.at(-2) === "A" ? "B" : "A") + sealed.slice(-1);
    const cases: [string, string | undefined][] = [
      [new FieldCipher(secret(2), "robot token").seal("secret"), undefined],
      [new FieldCipher(secret(1), "other field").seal("secret"), undefined],
      [flipped, undefined],
      ["secret", undefined],
      ["v1$$", undefined],
      ["v1$$!!!", undefined],
    ];
    for (const [value, want] of cases) expect(cipher.open(value)).toBe(want);
  });

  test("digests: stable for a secret, different across secrets, keys and purposes", () => {
    expect(cipher.digest("x")).toBe(cipher.digest("x"));
    expect(cipher.digest("x")).toMatch(/^[0-9a-f]{64}$/);
    expect(cipher.digest("x")).not.toBe(cipher.digest("y"));
    expect(new FieldCipher(secret(2), "robot token").digest("x")).not.toBe(cipher.digest("x"));
    expect(new FieldCipher(secret(1), "other field").digest("x")).not.toBe(cipher.digest("x"));
  });

  test("refuses a secret of the wrong size", () => {
    expect(() => new FieldCipher(new Uint8Array(16), "robot token")).toThrow();
  });
});

describe("loadDatabaseSecret", () => {
  test("made once (0600, in a 0700 directory), then read back; leaves no temporary file", () => {
    const keys = join(dir(), "keys");
    const first = loadDatabaseSecret(keys);
    expect(first.byteLength).toBe(32);
    expect(Buffer.from(loadDatabaseSecret(keys)).equals(Buffer.from(first))).toBe(true);
    expect(readdirSync(keys)).toEqual(["database-secret.key"]);
    expect(modeOf(join(keys, "database-secret.key"))).toBe("600");
    expect(modeOf(keys)).toBe("700");
  });

  test("a damaged key file stops rather than making a new key", () => {
    const keys = join(dir(), "keys");
    mkdirSync(keys);
    writeFileSync(join(keys, "database-secret.key"), "c2hvcnQ=\n");
    expect(() => loadDatabaseSecret(keys)).toThrow(/32 bytes/);
  });
});

describe("restrictDataDir", () => {
  test("an older layout (0755 directories, 0644 files) becomes owner-only; blobs keep their own modes", () => {
    const data = dir();
    for (const sub of ["keys", "uploads", "blobs/sha256/ab"]) mkdirSync(join(data, sub), { recursive: true, mode: 0o755 });
    for (const f of ["berth.db", "berth.db-wal", "berth.db-shm", "keys/cookie-secrets.json", "uploads/u1", "blobs/sha256/ab/abcd"]) {
      writeFileSync(join(data, f), "x", { mode: 0o644 });
    }
    chmodSync(data, 0o755);
    expect(restrictDataDir(data)).toEqual([]);
    const want: Record<string, string> = {
      ".": "700",
      keys: "700",
      uploads: "700",
      blobs: "700",
      "berth.db": "600",
      "berth.db-wal": "600",
      "berth.db-shm": "600",
      "keys/cookie-secrets.json": "600",
      "uploads/u1": "600",
      // Unreachable for others through blobs/ (0700); not walked, a store may hold millions.
      "blobs/sha256/ab/abcd": "644",
    };
    for (const [path, mode] of Object.entries(want)) expect([path, modeOf(join(data, path))]).toEqual([path, mode]);
  });

  test("a missing directory is made 0700", () => {
    const data = join(dir(), "new");
    expect(restrictDataDir(data)).toEqual([]);
    expect(modeOf(data)).toBe("700");
  });
});

describe("robot tokens at rest", () => {
  test("a plaintext row from before encryption is sealed when the stores open; reads give the token back", async () => {
    const data = dir();
    let stores = openStores({ dataDir: data, uploadTtlMs: 60_000 });
    await stores.orgs.claimReserved("acme");
    await stores.robots.create("acme", "new", "NEWTOKEN");
    stores.db.$client.run("INSERT INTO robots (namespace_id, short_name, full_name, token) SELECT id, 'old', 'acme+old', 'OLDTOKEN' FROM namespaces WHERE name = 'acme'");
    await stores.close();
    stores = openStores({ dataDir: data, uploadTtlMs: 60_000 });
    try {
      const raw = stores.db.$client.query<{ token: string; token_digest: string | null }, []>("SELECT token, token_digest FROM robots ORDER BY id").all();
      for (const row of raw) {
        expect(row.token).toStartWith("v1$$");
        expect(row.token_digest).toMatch(/^[0-9a-f]{64}$/);
      }
      expect((await stores.robots.details("acme+old"))!.token).toBe("OLDTOKEN");
      expect((await stores.robots.listOf((await stores.orgs.namespace("acme"))!.id)).map((r) => r.token)).toEqual(["NEWTOKEN", "OLDTOKEN"]);
      expect((await stores.robots.byName("acme+old"))!.tokenDigest).toBe(stores.robots.tokenDigest("OLDTOKEN"));
      expect((await stores.robots.byName("acme+old"))!.tokenDigest).not.toBe(stores.robots.tokenDigest("NEWTOKEN"));
    } finally {
      await stores.close();
    }
  });
});
