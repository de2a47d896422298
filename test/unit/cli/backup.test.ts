// `berth backup` and `berth restore` over a data directory driven by the registry's own
// operations and the real collector (the compiled binary with skopeo is test/e2e/backup.test.ts).
import { afterEach, describe, expect, test } from "bun:test";
import { existsSync, mkdirSync, readdirSync, readFileSync, renameSync, rmSync, statSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { tmpdir } from "node:os";
import { backup } from "../../../src/cli/backup";
import { restore } from "../../../src/cli/restore";
import { fsck } from "../../../src/cli/lifecycle";
import { CliError } from "../../../src/cli/accounts";
import { openStores, type Stores } from "../../../src/store";
import { tempDir } from "../../support/server";
import { registryFor } from "../../support/registryFixture";
import { HOUR, actor, lifecyclePerTest, sha256 } from "../registry/lifecycleFixture";

const s = lifecyclePerTest();
const LATER = 2 * HOUR;
const dirs: string[] = [];
const opened: Stores[] = [];
afterEach(async () => {
  for (const st of opened.splice(0)) await st.close();
  for (const d of dirs.splice(0)) rmSync(d, { recursive: true, force: true });
});

function dir(prefix: string): string {
  const d = tempDir(prefix);
  rmSync(d, { recursive: true }); // backup and restore make their own
  dirs.push(d);
  return d;
}

function files(root: string): string[] {
  const out: string[] = [];
  const base = join(root, "blobs", "sha256");
  if (!existsSync(base)) return out;
  for (const p of readdirSync(base)) for (const f of readdirSync(join(base, p))) out.push(`sha256:${f}`);
  return out.sort();
}

function mode(path: string): string {
  return (statSync(path).mode & 0o777).toString(8);
}

async function windowZero(ns: string) {
  const l = s.get();
  await l.stores.namespaces.setTagExpiration((await l.stores.namespaces.settings(ns))!.id, 0);
}

async function restoredStores(target: string) {
  const stores = openStores({ dataDir: target, uploadTtlMs: 60_000 });
  opened.push(stores);
  return stores;
}

async function fsckOf(stores: Stores) {
  return fsck(stores, registryFor(stores).registry, { repair: false, graceSeconds: 0 });
}

describe("berth backup and berth restore", () => {
  test("a restored data directory holds the snapshot's tags, manifests and blob bytes, owner-only", async () => {
    const l = s.get();
    const repo = await l.repo("ns/app");
    const v1 = await l.pushImage(repo, ["layer one", "layer two"], "v1");
    const v2 = await l.pushImage(repo, ["layer three"], "v2");
    // An upload in flight: its session is not part of a backup.
    expect((await l.registry.startUpload({ repo })).kind).toBe("ok");
    const bk = dir("berth-backup-");
    const line = await backup(l.dir, bk, { berthVersion: "test" });
    expect(line).toContain(`${v1.blobs.length + v2.blobs.length} blobs`);
    expect(files(bk)).toEqual(l.blobFiles());
    // Same file system: hard links, the same inodes as the data directory's.
    for (const d of files(bk)) {
      const p = (root: string) => join(root, "blobs", "sha256", d.slice(7, 9), d.slice(7));
      expect(statSync(p(bk)).ino).toBe(statSync(p(l.dir)).ino);
    }
    expect(mode(bk)).toBe("700");
    expect(mode(join(bk, "berth.db"))).toBe("600");
    expect(mode(join(bk, "keys"))).toBe("700");
    for (const k of readdirSync(join(bk, "keys"))) expect(mode(join(bk, "keys", k))).toBe("600");
    expect(readFileSync(join(bk, "keys", "database-secret.key"), "utf8")).toBe(readFileSync(join(l.dir, "keys", "database-secret.key"), "utf8"));

    const target = dir("berth-restored-");
    expect(await restore(bk, target, { force: false })).toContain(`${v1.blobs.length + v2.blobs.length} blobs`);
    expect(mode(target)).toBe("700");
    expect(mode(join(target, "berth.db"))).toBe("600");
    const r = await restoredStores(target);
    expect((await r.manifests.getByTag(repo.id, "v1"))?.digest).toBe(v1.digest);
    expect((await r.manifests.getByTag(repo.id, "v2"))?.digest).toBe(v2.digest);
    expect(await r.integrity.uploadSessions()).toEqual([]);
    for (const d of [...v1.blobs, ...v2.blobs]) {
      const bytes = await r.blobs.read(d).bytes();
      expect(sha256(bytes)).toBe(d);
      // Copies, not links: the restored directory shares nothing with the backup.
      expect(statSync(join(target, "blobs", "sha256", d.slice(7, 9), d.slice(7))).nlink).toBe(1);
    }
    const check = await fsckOf(r);
    expect(check.text).toMatch(/: clean$/);
    expect(check.exitCode).toBe(0);
  });

  // Another file system than the temporary directories' (tmpfs where /tmp is a disk, here).
  const otherFs = existsSync("/dev/shm") && statSync("/dev/shm").dev !== statSync(process.env.BERTH_TEST_TMP ?? tmpdir()).dev;
  test.skipIf(!otherFs)("onto another file system the blobs are copied, hashed on the way", async () => {
    const l = s.get();
    const img = await l.pushImage(await l.repo("ns/far"), ["far layer"], "v1");
    const bk = join("/dev/shm", `berth-backup-${crypto.randomUUID()}`);
    dirs.push(bk);
    expect(await backup(l.dir, bk, { berthVersion: "test" })).toContain(`0 already there, 0 linked, ${img.blobs.length} copied`);
    for (const d of img.blobs) {
      const p = (root: string) => join(root, "blobs", "sha256", d.slice(7, 9), d.slice(7));
      expect(statSync(p(bk)).ino).not.toBe(statSync(p(l.dir)).ino);
      expect(sha256(readFileSync(p(bk)))).toBe(d);
    }
    // A live blob whose bytes rotted is caught by the copy's hash: no backup is committed.
    const victim = join(l.dir, "blobs", "sha256", img.blobs[1]!.slice(7, 9), img.blobs[1]!.slice(7));
    writeFileSync(victim, "far layeR");
    const again = join("/dev/shm", `berth-backup-${crypto.randomUUID()}`);
    dirs.push(again);
    await expect(backup(l.dir, again, { berthVersion: "test" })).rejects.toThrow(`blob ${img.blobs[1]} in the data directory does not hash to its digest`);
    expect(existsSync(join(again, "backup.json"))).toBe(false);
  });

  test("a second backup into the same directory places only new blobs and drops those no longer named", async () => {
    const l = s.get();
    const repo = await l.repo("ns/inc");
    await windowZero("ns");
    const old = await l.pushImage(repo, ["old layer"], "old");
    const kept = await l.pushImage(repo, ["kept layer"], "kept");
    const bk = dir("berth-backup-");
    await backup(l.dir, bk, { berthVersion: "test" });
    l.advance(LATER);
    expect((await l.registry.deleteTag({ repo, tag: "old", actor })).kind).toBe("ok");
    expect((await l.collect()).filesRemoved).toBe(old.blobs.length);
    const fresh = await l.pushImage(repo, ["new layer"], "new");
    const line = await backup(l.dir, bk, { berthVersion: "test" });
    expect(line).toContain(`${kept.blobs.length + fresh.blobs.length} blobs`);
    expect(line).toContain(`${kept.blobs.length} already there, ${fresh.blobs.length} linked, 0 copied`);
    expect(line).toContain(`${old.blobs.length} no longer needed removed`);
    expect(files(bk)).toEqual(l.blobFiles());
    expect(JSON.parse(readFileSync(join(bk, "backup.json"), "utf8"))).toMatchObject({ format: 1, blobs: kept.blobs.length + fresh.blobs.length });
  });

  test("a blob the snapshot names, collected before it is linked: a new snapshot, never a backup missing it", async () => {
    const l = s.get();
    const repo = await l.repo("ns/race");
    await windowZero("ns");
    const doomed = await l.pushImage(repo, ["doomed layer"], "v1");
    const stays = await l.pushImage(repo, ["staying layer"], "v2");
    l.advance(LATER);
    expect((await l.registry.deleteTag({ repo, tag: "v1", actor })).kind).toBe("ok");
    const bk = dir("berth-backup-");
    let snapshots = 0;
    // The first snapshot still names the untagged image's blobs; the collector frees them before
    // the backup links them.
    const line = await backup(l.dir, bk, {
      berthVersion: "test",
      afterSnapshot: async () => {
        if (++snapshots === 1) expect((await l.collect()).filesRemoved).toBe(doomed.blobs.length);
      },
    });
    expect(snapshots).toBe(2);
    expect(line).toContain("2 snapshots");
    expect(files(bk)).toEqual([...stays.blobs].sort());
    const target = dir("berth-restored-");
    await restore(bk, target, { force: false });
    const r = await restoredStores(target);
    expect((await r.manifests.getByTag(repo.id, "v2"))?.digest).toBe(stays.digest);
    expect((await r.manifests.getByDigest(repo.id, doomed.digest))).toBeUndefined();
    expect((await fsckOf(r)).text).toMatch(/: clean$/);
  });

  test("restore refuses a non-empty target unless --force, and a directory that holds no finished backup", async () => {
    const l = s.get();
    await l.pushImage(await l.repo("ns/f"), ["f layer"], "v1");
    const bk = dir("berth-backup-");
    await backup(l.dir, bk, { berthVersion: "test" });
    const target = dir("berth-restored-");
    await restore(bk, target, { force: false });
    writeFileSync(join(target, "notes.txt"), "the operator's");
    await expect(restore(bk, target, { force: false })).rejects.toThrow(/is not empty .*--force/);
    expect(await restore(bk, target, { force: true })).toStartWith(`restore: ${target} from the backup of `);
    expect(readFileSync(join(target, "notes.txt"), "utf8")).toBe("the operator's");
    rmSync(join(bk, "backup.json"));
    await expect(restore(bk, dir("berth-restored-"), { force: false })).rejects.toThrow(/holds no finished backup/);
  });

  test("restore re-hashes every blob: a damaged backup restores nothing to serve from", async () => {
    const l = s.get();
    const img = await l.pushImage(await l.repo("ns/d"), ["to be damaged"], "v1");
    const bk = dir("berth-backup-");
    await backup(l.dir, bk, { berthVersion: "test" });
    // Replaced, not written in place: the backup's file is a hard link to the live one.
    const victim = join(bk, "blobs", "sha256", img.blobs[1]!.slice(7, 9), img.blobs[1]!.slice(7));
    writeFileSync(`${victim}.x`, "to be damagEd");
    renameSync(`${victim}.x`, victim);
    const target = dir("berth-restored-");
    const failed = await restore(bk, target, { force: false }).catch((e) => e);
    expect(failed).toBeInstanceOf(CliError);
    expect(failed.message).toContain(`${img.blobs[1]}: its bytes hash to ${sha256("to be damagEd")}`);
    expect(existsSync(join(target, "berth.db"))).toBe(false);
  });

  test("one backup at a time per directory; a dead one's lock is taken over and its leftovers swept", async () => {
    const l = s.get();
    await l.pushImage(await l.repo("ns/lock"), ["lock layer"], "v1");
    const bk = dir("berth-backup-");
    await backup(l.dir, bk, { berthVersion: "test" });
    const running = Bun.spawn(["sleep", "30"]);
    try {
      writeFileSync(join(bk, "backup.lock"), `${running.pid}\n`);
      await expect(backup(l.dir, bk, { berthVersion: "test" })).rejects.toThrow(`another backup (process ${running.pid}) is writing`);
    } finally {
      running.kill();
      await running.exited;
    }
    // The lock of a process that is gone, and what it left half-written.
    writeFileSync(join(bk, "backup.lock"), `${running.pid}\n`);
    const leftovers = [join(bk, "blobs", "sha256", "ab", "abcd.tmp-1-x"), join(bk, "keys.tmp-1-y", "a.key")];
    for (const f of leftovers) {
      mkdirSync(join(f, ".."), { recursive: true });
      writeFileSync(f, "half");
    }
    expect(await backup(l.dir, bk, { berthVersion: "test" })).toContain("already there");
    for (const f of leftovers) expect(existsSync(f)).toBe(false);
    expect(existsSync(join(bk, "keys.tmp-1-y"))).toBe(false);
    expect(existsSync(join(bk, "backup.lock"))).toBe(false);
    await expect(restore(bk, bk, { force: true })).rejects.toThrow("the target cannot be the backup directory");
  });

  test("backup refuses a directory that is no data directory, and the data directory itself", async () => {
    const l = s.get();
    await expect(backup(dir("berth-empty-"), dir("berth-backup-"), { berthVersion: "test" })).rejects.toThrow(/holds no Berth database/);
    await expect(backup(l.dir, l.dir, { berthVersion: "test" })).rejects.toThrow(/cannot be the data directory/);
  });
});
