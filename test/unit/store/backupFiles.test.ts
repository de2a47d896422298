import { afterEach, describe, expect, test } from "bun:test";
import { existsSync, mkdirSync, readdirSync, readFileSync, rmSync, statSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { copyVerified, placeBlob, replaceWithCopy } from "../../../src/store/backupFiles";
import { blobFilePath } from "../../../src/store/blobs/fsBlobStore";
import { databaseProblem, snapshotBlobs, snapshotDatabase } from "../../../src/store/snapshot";
import { tempDir } from "../../support/server";
import { lifecyclePerTest } from "../registry/lifecycleFixture";

const dirs: string[] = [];
afterEach(() => {
  for (const d of dirs.splice(0)) rmSync(d, { recursive: true, force: true });
});
function dir(): string {
  const d = tempDir("berth-backup-files-");
  dirs.push(d);
  return d;
}
const sha256 = (s: string) => `sha256:${new Bun.CryptoHasher("sha256").update(s).digest("hex")}`;
const sha512 = (s: string) => `sha512:${new Bun.CryptoHasher("sha512").update(s).digest("hex")}`;

function putBlob(root: string, content: string, digest = sha256(content)): string {
  const path = blobFilePath(root, digest);
  mkdirSync(join(path, ".."), { recursive: true });
  writeFileSync(path, content);
  return digest;
}

describe("placeBlob", () => {
  test("a hard link where allowed, else a copy; missing when the data directory lacks it", async () => {
    const from = dir();
    const to = dir();
    const d = putBlob(from, "layer bytes");
    expect(await placeBlob(from, to, d, { link: true })).toBe("linked");
    expect(statSync(blobFilePath(to, d)).ino).toBe(statSync(blobFilePath(from, d)).ino);
    const to2 = dir();
    expect(await placeBlob(from, to2, d, { link: false })).toBe("copied");
    expect(statSync(blobFilePath(to2, d)).ino).not.toBe(statSync(blobFilePath(from, d)).ino);
    expect(statSync(blobFilePath(to2, d)).mode & 0o777).toBe(0o600);
    expect(readFileSync(blobFilePath(to2, d), "utf8")).toBe("layer bytes");
    expect(await placeBlob(from, to, sha256("never stored"), { link: true })).toBe("missing");
    expect(await placeBlob(from, to, sha256("never stored"), { link: false })).toBe("missing");
  });

  test("a copy whose bytes do not hash to the digest is refused and leaves nothing", async () => {
    const from = dir();
    const to = dir();
    const d = putBlob(from, "rotten bytes", sha256("good bytes"));
    expect(await placeBlob(from, to, d, { link: false })).toEqual({ damaged: sha256("rotten bytes") });
    expect(readdirSync(join(blobFilePath(to, d), ".."))).toEqual([]);
  });
});

describe("copyVerified", () => {
  test.each<[string, string, string, "ok" | "bad"]>([
    ["sha256, right bytes", "abc", sha256("abc"), "ok"],
    ["sha512, right bytes", "abc", sha512("abc"), "ok"],
    ["sha256, other bytes", "abd", sha256("abc"), "bad"],
    ["sha512, other bytes", "abd", sha512("abc"), "bad"],
    ["empty blob", "", sha256(""), "ok"],
  ])("%s", async (_, content, digest, want) => {
    const from = join(dir(), "src");
    writeFileSync(from, content);
    const to = join(dir(), "a", "b", "dst");
    const out = await copyVerified(from, to, digest);
    if (want === "ok") {
      expect(out).toEqual({ ok: true, size: content.length });
      expect(readFileSync(to, "utf8")).toBe(content);
    } else {
      expect(out).toMatchObject({ ok: false });
      expect(existsSync(to)).toBe(false);
    }
  });
});

describe("replaceWithCopy", () => {
  test("replaces the directory's files with the source's, owner-only; an absent source removes it", () => {
    const root = dir();
    const src = join(root, "keys");
    const dst = join(root, "backup-keys");
    mkdirSync(src);
    writeFileSync(join(src, "a.key"), "A", { mode: 0o644 });
    mkdirSync(dst);
    writeFileSync(join(dst, "old.key"), "gone");
    expect(replaceWithCopy(src, dst)).toBe(1);
    expect(readdirSync(dst)).toEqual(["a.key"]);
    expect(statSync(join(dst, "a.key")).mode & 0o777).toBe(0o600);
    expect(statSync(dst).mode & 0o777).toBe(0o700);
    expect(readdirSync(root).sort()).toEqual(["backup-keys", "keys"]);
    expect(replaceWithCopy(join(root, "tls"), dst)).toBe(0);
    expect(existsSync(dst)).toBe(false);
  });
});

describe("snapshotDatabase", () => {
  const s = lifecyclePerTest();

  test("a copy of the database at one moment, owner-only, without upload sessions, naming its blobs", async () => {
    const l = s.get();
    const repo = await l.repo("ns/snap");
    const img = await l.pushImage(repo, ["one", "two"], "v1");
    expect((await l.registry.startUpload({ repo })).kind).toBe("ok");
    const into = join(dir(), "snap.db");
    snapshotDatabase(join(l.dir, "berth.db"), into);
    expect(statSync(into).mode & 0o777).toBe(0o600);
    expect(snapshotBlobs(into).map((b) => b.digest)).toEqual([...img.blobs].sort());
    expect(databaseProblem(into)).toBeUndefined();
    // The live database still has its session.
    expect(await l.stores.integrity.uploadSessions()).toHaveLength(1);
    const garbage = join(dir(), "garbage.db");
    writeFileSync(garbage, "not a database at all, just some bytes of text long enough");
    expect(databaseProblem(garbage)).toBeString();
  });
});
