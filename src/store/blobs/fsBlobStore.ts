import { closeSync, fdatasync, ftruncateSync, mkdirSync, openSync, writeSync } from "node:fs";
import { open, readdir, rename, stat, unlink } from "node:fs/promises";
import { promisify } from "node:util";
import { dirname, join } from "node:path";
import type { AppendResult, BlobStat, BlobStore } from "./blobStore";
import { releaseChunk } from "./releaseChunk";

// Layout: <root>/blobs/<alg>/<first two hex>/<hex> and <root>/uploads/<uuid>.
// Digests and ids arrive validated; assertSafe() is a last guard against path tricks.
const SAFE_DIGEST = /^(sha256|sha512):[a-f0-9]{64,128}$/;
const WRITEBACK_EVERY = 64 * 1024 * 1024;
const fdatasyncAsync = promisify(fdatasync);
const SAFE_UPLOAD_ID = /^[A-Za-z0-9-]{8,64}$/;

/** Whether a process of this id runs (another one's is alive too: EPERM). */
export function processAlive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch (e: any) {
    return e?.code === "EPERM";
  }
}

function assertSafe(value: string, pattern: RegExp): void {
  if (!pattern.test(value)) throw new Error(`unsafe storage key: ${JSON.stringify(value)}`);
}

/** Where a blob lives under a root holding `blobs/` (a data directory, or a backup). */
export function blobFilePath(root: string, digest: string): string {
  assertSafe(digest, SAFE_DIGEST);
  const [alg, hex] = digest.split(":") as [string, string];
  return join(root, "blobs", alg, hex.slice(0, 2), hex);
}

/** Every blob file under `root`'s `blobs/`, in digest order. */
export async function* blobDigestsUnder(root: string): AsyncIterable<string> {
  for (const alg of ["sha256", "sha512"]) {
    const algDir = join(root, "blobs", alg);
    for (const prefix of (await readdir(algDir).catch(() => [] as string[])).sort()) {
      for (const hex of (await readdir(join(algDir, prefix)).catch(() => [] as string[])).sort()) {
        const digest = `${alg}:${hex}`;
        if (SAFE_DIGEST.test(digest)) yield digest;
      }
    }
  }
}

export class FsBlobStore implements BlobStore {
  constructor(private readonly root: string) {
    // Owner-only: private images live here (see dataDirModes.ts).
    mkdirSync(join(root, "blobs"), { recursive: true, mode: 0o700 });
    mkdirSync(join(root, "uploads"), { recursive: true, mode: 0o700 });
    mkdirSync(join(root, "trash"), { recursive: true, mode: 0o700 });
  }

  blobPath(digest: string): string {
    return blobFilePath(this.root, digest);
  }

  uploadPath(id: string): string {
    assertSafe(id, SAFE_UPLOAD_ID);
    return join(this.root, "uploads", id);
  }

  async stat(digest: string): Promise<BlobStat> {
    try {
      const s = await stat(this.blobPath(digest));
      return { exists: true, size: s.size, modifiedMs: s.mtimeMs };
    } catch (e: any) {
      if (e?.code === "ENOENT") return { exists: false };
      throw e;
    }
  }

  read(digest: string, range?: { start: number; end: number }): Blob {
    const file = Bun.file(this.blobPath(digest));
    return range ? file.slice(range.start, range.end + 1) : file;
  }

  body(digest: string, range?: { start: number; end: number }): Blob | ReadableStream<Uint8Array> {
    return this.read(digest, range);
  }

  redirectUrl(): undefined {
    return undefined;
  }

  list(): AsyncIterable<string> {
    // In digest order: the collector asks for a page's rows as one range.
    return blobDigestsUnder(this.root);
  }

  async deleteUnreferenced(digest: string, writtenBeforeMs: number, isReferenced: () => boolean | Promise<boolean>): Promise<number | undefined> {
    const path = this.blobPath(digest);
    // A file written moments ago is left where it is without moving it (a push whose row is
    // about to be committed); the check after the move below is the one that counts.
    const before = await this.stat(digest);
    if (!before.exists || before.modifiedMs >= writtenBeforeMs) return undefined;
    // Move the file aside first, then decide. A concurrent push renames a fresh file (recent
    // mtime) into place either before our rename — then we hold it and put it back — or after
    // — then it is simply there. Metadata rows are written after that rename, so a row that
    // appears after ours was deleted is seen by isReferenced() and the file is put back.
    // The trash name keeps the digest, so a collector that crashed here can be undone, and the
    // process id, so another collector (the server's beside `berth gc`) leaves it alone meanwhile.
    const trash = join(this.root, "trash", `${digest.replace(":", "-")}-${process.pid}-${crypto.randomUUID()}`);
    try {
      await rename(path, trash);
      const s = await stat(trash);
      if (s.mtimeMs >= writtenBeforeMs || (await isReferenced())) {
        await rename(trash, path);
        return undefined;
      }
      await unlink(trash);
      return s.size;
    } catch (e: any) {
      if (e?.code === "ENOENT") return undefined;
      throw e;
    }
  }

  async recoverTrash(isReferenced: (digest: string) => boolean | Promise<boolean>): Promise<{ restored: number; dropped: number }> {
    const dir = join(this.root, "trash");
    let restored = 0;
    let dropped = 0;
    for (const name of await this.abandonedTrash()) {
      const m = /^(sha256|sha512)-([a-f0-9]+)-/.exec(name);
      const digest = m ? `${m[1]}:${m[2]}` : undefined;
      if (digest && SAFE_DIGEST.test(digest) && (await isReferenced(digest)) && (await this.stat(digest)).exists === false) {
        mkdirSync(dirname(this.blobPath(digest)), { recursive: true });
        await rename(join(dir, name), this.blobPath(digest)).catch(() => {});
        restored++;
      } else {
        await unlink(join(dir, name)).catch(() => {});
        dropped++;
      }
    }
    return { restored, dropped };
  }

  async trashCount(): Promise<number> {
    return (await this.abandonedTrash()).length;
  }

  /** Trash entries whose collector is gone (a live one is deciding about its own right now). */
  private async abandonedTrash(): Promise<string[]> {
    const names = await readdir(join(this.root, "trash")).catch(() => [] as string[]);
    return names.filter((name) => {
      const pid = /^(?:sha256|sha512)-[a-f0-9]+-(\d+)-/.exec(name)?.[1];
      return pid === undefined || !processAlive(Number(pid));
    });
  }

  async quarantine(digest: string): Promise<void> {
    const dir = join(this.root, "quarantine");
    mkdirSync(dir, { recursive: true, mode: 0o700 });
    try {
      await rename(this.blobPath(digest), join(dir, `${digest.replace(":", "-")}-${Date.now()}`));
    } catch (e: any) {
      if (e?.code !== "ENOENT") throw e;
    }
  }

  async createUpload(id: string): Promise<void> {
    closeSync(openSync(this.uploadPath(id), "wx", 0o600));
  }

  async uploadSize(id: string): Promise<number | null> {
    try {
      return (await stat(this.uploadPath(id))).size;
    } catch (e: any) {
      if (e?.code === "ENOENT") return null;
      throw e;
    }
  }

  async uploadModifiedMs(id: string): Promise<number | null> {
    try {
      return (await stat(this.uploadPath(id))).mtimeMs;
    } catch (e: any) {
      if (e?.code === "ENOENT") return null;
      throw e;
    }
  }

  async appendUpload(
    id: string,
    offset: number,
    body: ReadableStream<Uint8Array> | null,
    onChunk: (chunk: Uint8Array) => void,
  ): Promise<AppendResult> {
    const fd = openSync(this.uploadPath(id), "r+");
    let written = 0;
    // Start writeback while the body still streams in (on libuv's thread pool), so the fsync
    // at commit finds little left to flush and a large push does not stall at its end.
    let unflushed = 0;
    let flushing: Promise<void> | undefined;
    const flushInBackground = (n: number) => {
      unflushed += n;
      if (unflushed < WRITEBACK_EVERY || flushing) return;
      unflushed = 0;
      flushing = fdatasyncAsync(fd)
        .catch(() => {}) // a failure surfaces at commit's fsync
        .finally(() => (flushing = undefined));
    };
    try {
      ftruncateSync(fd, offset);
      if (!body) return { written: 0, aborted: false };
      const reader = body.getReader();
      try {
        for (;;) {
          const { done, value } = await reader.read();
          if (done) break;
          // Page-cache writes of socket-sized chunks are quick; synchronous writes avoid a
          // promise per chunk on the hot path.
          let off = 0;
          while (off < value.byteLength) {
            off += writeSync(fd, value, off, value.byteLength - off, offset + written + off);
          }
          onChunk(value);
          written += value.byteLength;
          flushInBackground(value.byteLength);
          releaseChunk(value);
        }
      } catch {
        // The client hung up or stalled: the bytes that arrived stay, flushed before the
        // session records them, so the offset the client is told survives a power cut.
        await fdatasyncAsync(fd);
        return { written, aborted: true };
      }
      return { written, aborted: false };
    } finally {
      if (flushing) await flushing;
      closeSync(fd);
    }
  }

  async replayUpload(id: string, length: number, onChunk: (chunk: Uint8Array) => void): Promise<void> {
    if (length === 0) return;
    const stream = Bun.file(this.uploadPath(id)).slice(0, length).stream();
    for await (const chunk of stream) onChunk(chunk);
  }

  /** The rename consumes the upload whatever `keepUpload` says: this store's collector never loses a fresh file (deleteUnreferenced). */
  async commitUpload(id: string, digest: string): Promise<void> {
    const from = this.uploadPath(id);
    const to = this.blobPath(digest);
    const file = await open(from, "r");
    try {
      // A fresh mtime tells a concurrent garbage collector these bytes were just pushed.
      const now = new Date();
      await file.utimes(now, now);
      await file.sync();
    } finally {
      await file.close();
    }
    mkdirSync(dirname(to), { recursive: true });
    // rename() is atomic: readers see no blob or the whole one. Identical content may already
    // be there from a concurrent push of the same digest; replacing it is harmless.
    await rename(from, to);
    const dir = await open(dirname(to), "r");
    try {
      await dir.sync();
    } finally {
      await dir.close();
    }
  }

  async deleteUpload(id: string): Promise<void> {
    try {
      await unlink(this.uploadPath(id));
    } catch (e: any) {
      if (e?.code !== "ENOENT") throw e;
    }
  }

  async probe(): Promise<{ ok: true } | { ok: false; reason: string }> {
    // Written in uploads/ and renamed into blobs/, as a pushed blob is. The dot keeps the name
    // out of list() (it walks blobs/<alg>/); an upload-like name left by a crash is swept.
    const id = `probe-${crypto.randomUUID()}`;
    const upload = this.uploadPath(id);
    const stored = join(this.root, "blobs", `.${id}`);
    const bytes = crypto.getRandomValues(new Uint8Array(4096));
    let step = "write into uploads/";
    try {
      const fh = await open(upload, "wx", 0o600);
      try {
        await fh.writeFile(bytes);
        await fh.sync();
      } finally {
        await fh.close();
      }
      step = "move into blobs/";
      await rename(upload, stored);
      step = "read back from blobs/";
      const back = new Uint8Array(await Bun.file(stored).arrayBuffer());
      if (Buffer.compare(back, bytes) !== 0) return { ok: false, reason: `${step}: the bytes differ from those written` };
      return { ok: true };
    } catch (e: any) {
      return { ok: false, reason: `${step}: ${e?.code ?? ""} ${e?.message ?? e}`.trim() };
    } finally {
      await unlink(upload).catch(() => {});
      await unlink(stored).catch(() => {});
    }
  }

  async listUploads(): Promise<string[]> {
    return (await readdir(join(this.root, "uploads"))).filter((n) => SAFE_UPLOAD_ID.test(n));
  }
}
