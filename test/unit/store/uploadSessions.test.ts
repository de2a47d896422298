import { afterEach, beforeEach, describe, expect, test } from "bun:test";
import { rmSync } from "node:fs";
import { parseDigest, type Digest } from "../../../src/oci";
import { openStores, type Stores } from "../../../src/store";
import { UploadRowStore } from "../../../src/store/meta/uploads";
import { UploadSessions } from "../../../src/store/uploadSessions";
import { InProcessUploadHashStates, InProcessUploadLocks } from "../../../src/store/uploadState";
import { tempDir } from "../../support/server";

const body = (s: string) => new Response(s).body;
function digest(s: string): Digest {
  const d = parseDigest(`sha256:${new Bun.CryptoHasher("sha256").update(s).digest("hex")}`);
  if (!d.ok) throw new Error("bad");
  return d.digest;
}

/** A new session's id (these tests open sessions without an owner, so never over a cap). */
async function open(uploads: UploadSessions, repoId: number, kind?: "monolithic"): Promise<string> {
  const started = await uploads.start(repoId, { kind });
  if (started.kind !== "ok") throw new Error("no session");
  return started.id;
}

let dir: string;
let stores: Stores;
beforeEach(() => {
  dir = tempDir("berth-up-");
  stores = openStores({ dataDir: dir, uploadTtlMs: 3600_000 });
});
afterEach(() => {
  stores.close();
  rmSync(dir, { recursive: true, force: true });
});

describe("upload sessions", () => {
  test("a session continues after a restart: the hash is rebuilt from the file", async () => {
    const repo = stores.repositories.ensure("ns/app");
    const id = await open(stores.uploads, repo.id);
    expect(await stores.uploads.append(repo.id, id, body("hello "))).toEqual({ kind: "ok", offset: 6 });
    // A new UploadSessions over the same rows and files, as after a restart.
    const restarted = new UploadSessions(new UploadRowStore(stores.db), stores.blobs, { locks: new InProcessUploadLocks(), hashes: new InProcessUploadHashStates() }, 3600_000);
    expect(await restarted.offset(repo.id, id)).toBe(6);
    const recorded: number[] = [];
    const out = await restarted.finish(repo.id, id, digest("hello world"), body("world"), undefined, (size) => void recorded.push(size));
    expect(out).toEqual({ kind: "ok", size: 11 });
    // The committed blob is handed on for recording (the registry links it), once.
    expect(recorded).toEqual([11]);
    expect(await stores.blobs.read(digest("hello world").value).text()).toBe("hello world");
  });

  test("a chunk whose length disagrees with its Content-Range is not counted, and its bytes are dropped", async () => {
    const repo = stores.repositories.ensure("ns/app");
    const id = await open(stores.uploads, repo.id);
    expect((await stores.uploads.append(repo.id, id, body("abc"), { start: 0, end: 9 })).kind).toBe("rangeMismatch");
    expect(await stores.uploads.offset(repo.id, id)).toBe(0);
    expect((await stores.uploads.append(repo.id, id, body("xyz"), { start: 0, end: 2 })).kind).toBe("ok");
    expect(await stores.uploads.finish(repo.id, id, digest("xyz"), null, undefined, () => {})).toEqual({ kind: "ok", size: 3 });
  });

  test("a wrong digest stores nothing and keeps the session", async () => {
    const repo = stores.repositories.ensure("ns/app");
    const id = await open(stores.uploads, repo.id);
    const recorded: number[] = [];
    const out = await stores.uploads.finish(repo.id, id, digest("something else"), body("content"), undefined, (size) => void recorded.push(size));
    expect(out.kind).toBe("digestMismatch");
    expect(recorded).toEqual([]);
    expect((await stores.blobs.stat(digest("something else").value)).exists).toBe(false);
    expect(await stores.uploads.offset(repo.id, id)).toBe(7);
  });

  test("sessions are per repository", async () => {
    const a = stores.repositories.ensure("ns/a");
    const b = stores.repositories.ensure("ns/b");
    const id = await open(stores.uploads, a.id);
    expect(await stores.uploads.append(b.id, id, body("x"))).toEqual({ kind: "unknown" });
  });

  test("the sweep drops expired sessions, orphan files and abandoned monolithic uploads", async () => {
    const repo = stores.repositories.ensure("ns/app");
    const kept = await open(stores.uploads, repo.id);
    const mono = await open(stores.uploads, repo.id, "monolithic");
    await stores.blobs.createUpload("0rphan-file-0000");
    expect(await stores.uploads.sweep(Date.now())).toEqual({ removed: 0, bytes: 0 }); // all written moments ago
    expect(await stores.uploads.sweep(Date.now() + 61_000)).toEqual({ removed: 2, bytes: 0 }); // the orphan file and the monolithic one
    expect(await stores.uploads.offset(repo.id, mono)).toBeUndefined();
    expect(await stores.uploads.offset(repo.id, kept)).toBe(0);
    expect(await stores.uploads.sweep(Date.now() + 3601_000)).toEqual({ removed: 1, bytes: 0 }); // the expired session
    expect(await stores.blobs.listUploads()).toEqual([]);
  });
});
