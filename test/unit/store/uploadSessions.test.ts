// Upload sessions over their rows on both dialects (describeEachDialect) and a blob store in a
// temporary directory.
import { afterEach, beforeEach, expect, test } from "bun:test";
import { rmSync } from "node:fs";
import { parseDigest, type Digest } from "../../../src/oci";
import { FsBlobStore } from "../../../src/store/blobs/fsBlobStore";
import type { Runner } from "../../../src/store/dialect/program";
import { UploadRowStore } from "../../../src/store/meta/uploads";
import { UploadSessions } from "../../../src/store/uploadSessions";
import { InProcessUploadHashStates, InProcessUploadLocks } from "../../../src/store/uploadState";
import { tempDir } from "../../support/server";
import { addRepository, describeEachDialect } from "./eachDialect";

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

/** Sessions as one node (or one process after a restart) keeps them. */
const sessionsOver = (runner: Runner, blobs: FsBlobStore) =>
  new UploadSessions(new UploadRowStore(runner), blobs, { locks: new InProcessUploadLocks(), hashes: new InProcessUploadHashStates() }, 3600_000);

describeEachDialect("uploadSessions.test.ts", "upload sessions", (backend) => {
  let dir: string;
  let blobs: FsBlobStore;
  let uploads: UploadSessions;
  let runner: Runner;
  beforeEach(() => {
    dir = tempDir("berth-up-");
    blobs = new FsBlobStore(dir);
    runner = backend().runner;
    uploads = sessionsOver(runner, blobs);
  });
  afterEach(() => {
    rmSync(dir, { recursive: true, force: true });
  });
  const ensure = async (name: string) => ({ id: await addRepository(runner, name) });

  test("a session continues after a restart: the hash is rebuilt from the file", async () => {
    const repo = (await ensure("ns/app"));
    const id = await open(uploads, repo.id);
    expect(await uploads.append(repo.id, id, body("hello "))).toEqual({ kind: "ok", offset: 6 });
    // A new UploadSessions over the same rows and files, as after a restart.
    const restarted = sessionsOver(runner, blobs);
    expect(await restarted.offset(repo.id, id)).toBe(6);
    const recorded: number[] = [];
    const out = await restarted.finish(repo.id, id, digest("hello world"), body("world"), undefined, (size) => void recorded.push(size));
    expect(out).toEqual({ kind: "ok", size: 11 });
    // The committed blob is handed on for recording (the registry links it), once.
    expect(recorded).toEqual([11]);
    expect(await blobs.read(digest("hello world").value).text()).toBe("hello world");
  });

  test("a chunk whose length disagrees with its Content-Range is not counted, and its bytes are dropped", async () => {
    const repo = (await ensure("ns/app"));
    const id = await open(uploads, repo.id);
    expect((await uploads.append(repo.id, id, body("abc"), { start: 0, end: 9 })).kind).toBe("rangeMismatch");
    expect(await uploads.offset(repo.id, id)).toBe(0);
    expect((await uploads.append(repo.id, id, body("xyz"), { start: 0, end: 2 })).kind).toBe("ok");
    expect(await uploads.finish(repo.id, id, digest("xyz"), null, undefined, () => {})).toEqual({ kind: "ok", size: 3 });
  });

  test("a wrong digest stores nothing and keeps the session", async () => {
    const repo = (await ensure("ns/app"));
    const id = await open(uploads, repo.id);
    const recorded: number[] = [];
    const out = await uploads.finish(repo.id, id, digest("something else"), body("content"), undefined, (size) => void recorded.push(size));
    expect(out.kind).toBe("digestMismatch");
    expect(recorded).toEqual([]);
    expect((await blobs.stat(digest("something else").value)).exists).toBe(false);
    expect(await uploads.offset(repo.id, id)).toBe(7);
  });

  test("sessions are per repository", async () => {
    const a = (await ensure("ns/a"));
    const b = (await ensure("ns/b"));
    const id = await open(uploads, a.id);
    expect(await uploads.append(b.id, id, body("x"))).toEqual({ kind: "unknown" });
  });

  test("the sweep drops expired sessions, orphan files and abandoned monolithic uploads", async () => {
    const repo = (await ensure("ns/app"));
    const kept = await open(uploads, repo.id);
    const mono = await open(uploads, repo.id, "monolithic");
    await blobs.createUpload("0rphan-file-0000");
    expect(await uploads.sweep(Date.now())).toEqual({ removed: 0, bytes: 0 }); // all written moments ago
    expect(await uploads.sweep(Date.now() + 61_000)).toEqual({ removed: 2, bytes: 0 }); // the orphan file and the monolithic one
    expect(await uploads.offset(repo.id, mono)).toBeUndefined();
    expect(await uploads.offset(repo.id, kept)).toBe(0);
    expect(await uploads.sweep(Date.now() + 3601_000)).toEqual({ removed: 1, bytes: 0 }); // the expired session
    expect(await blobs.listUploads()).toEqual([]);
  });
});
