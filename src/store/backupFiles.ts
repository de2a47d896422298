// The file side of `berth backup` and `berth restore` (src/cli/backup.ts says the protocol):
// putting a blob of one root's `blobs/` into another's (a hard link, else a copy hashed on the
// way), and copying the small secret directories (keys/, tls/). Everything written is
// owner-only (0700 directories, 0600 files), as in the data directory, and fsynced before it is
// renamed into place, so a crash leaves whole files or none.
import { closeSync, fdatasync, fsyncSync, linkSync, lstatSync, mkdirSync, openSync, readdirSync, readFileSync, renameSync, rmSync, unlinkSync, writeSync } from "node:fs";
import { dirname, join } from "node:path";
import { promisify } from "node:util";
import { blobFilePath } from "./blobs/fsBlobStore";

const fdatasyncAsync = promisify(fdatasync);

export type Placed = "linked" | "copied" | "missing" | { damaged: string };

/** Link errors that mean "this file system (or pair of them) will not": copy instead. */
const CANNOT_LINK = new Set(["EXDEV", "EPERM", "ENOTSUP", "EOPNOTSUPP", "EMLINK", "EACCES"]);

const TEMP_MARK = ".tmp-";

function tempBeside(path: string): string {
  return `${path}${TEMP_MARK}${process.pid}-${crypto.randomUUID().slice(0, 8)}`;
}

/**
 * Removes what an interrupted backup or restore left half-written under `root` (temporary names
 * beside blobs, keys/ and tls/ copies). Only while no other backup writes there.
 */
export function sweepTemporaries(root: string): number {
  let removed = 0;
  // `below`: how many directory levels under `dir` to look into.
  const sweep = (dir: string, below: number) => {
    let entries;
    try {
      entries = readdirSync(dir, { withFileTypes: true });
    } catch {
      return;
    }
    for (const entry of entries) {
      const path = join(dir, entry.name);
      if (entry.name.includes(TEMP_MARK)) {
        rmSync(path, { recursive: true, force: true });
        removed++;
      } else if (entry.isDirectory() && below > 0) sweep(path, below - 1);
    }
  };
  sweep(root, 0); // keys.tmp-…, tls.tmp-…, berth.db.tmp-…
  sweep(join(root, "blobs"), 2); // blobs/<alg>/<xx>/<hex>.tmp-…
  return removed;
}

/** Makes the directories of `path` owner-only, as the data directory's are. */
function ensureParent(path: string): void {
  mkdirSync(dirname(path), { recursive: true, mode: 0o700 });
}

/** fsyncs a directory, so the names renamed into it survive a power cut. */
export function fsyncDir(path: string): void {
  const fd = openSync(path, "r");
  try {
    fsyncSync(fd);
  } finally {
    closeSync(fd);
  }
}

/**
 * Puts the blob `digest` of `fromRoot` into `toRoot`: a hard link when `link` is set and the file
 * system allows it (blobs are never changed in place, so sharing the inode is safe), else a copy
 * hashed as it is written, refused when the bytes do not match the digest. "missing" when
 * `fromRoot` has no such file.
 */
export async function placeBlob(fromRoot: string, toRoot: string, digest: string, opts: { link: boolean }): Promise<Placed> {
  const from = blobFilePath(fromRoot, digest);
  const to = blobFilePath(toRoot, digest);
  ensureParent(to);
  if (opts.link) {
    const tmp = tempBeside(to);
    try {
      linkSync(from, tmp);
      renameSync(tmp, to);
      return "linked";
    } catch (e: any) {
      rmSync(tmp, { force: true });
      if (e?.code === "ENOENT") return "missing";
      if (!CANNOT_LINK.has(e?.code)) throw e;
    }
  }
  const copied = await copyVerified(from, to, digest);
  if (copied === "missing") return "missing";
  return copied.ok ? "copied" : { damaged: copied.actual };
}

/**
 * Copies `from` to `to` through a temporary file, hashing the bytes with the digest's algorithm;
 * renames it into place (fsynced) only when they hash to `digest`.
 */
export async function copyVerified(from: string, to: string, digest: string): Promise<{ ok: true; size: number } | { ok: false; actual: string } | "missing"> {
  const [alg] = digest.split(":") as [string];
  const hasher = new Bun.CryptoHasher(alg === "sha512" ? "sha512" : "sha256");
  let actual = "";
  const size = await copyDurably(from, to, {
    onChunk: (chunk) => hasher.update(chunk),
    accept: () => (actual = `${alg}:${hasher.digest("hex")}`) === digest,
  });
  if (size === undefined) return "missing";
  return size === false ? { ok: false, actual } : { ok: true, size };
}

/**
 * Streams `from` into a temporary file beside `to`, fsyncs it and renames it into place unless
 * `accept` says no (false then). Answers the bytes copied, or undefined when `from` is missing.
 */
export async function copyDurably(
  from: string,
  to: string,
  opts: { onChunk?: (chunk: Uint8Array) => void; accept?: () => boolean } = {},
): Promise<number | false | undefined> {
  ensureParent(to);
  const tmp = tempBeside(to);
  let fd: number | undefined;
  let size = 0;
  try {
    const file = Bun.file(from);
    if (!(await file.exists())) return undefined;
    fd = openSync(tmp, "wx", 0o600);
    for await (const chunk of file.stream()) {
      opts.onChunk?.(chunk);
      for (let off = 0; off < chunk.byteLength; ) off += writeSync(fd, chunk, off, chunk.byteLength - off);
      size += chunk.byteLength;
    }
    // On libuv's thread pool: a restore runs several copies at once, and their flushes overlap.
    await fdatasyncAsync(fd);
    closeSync(fd);
    fd = undefined;
    if (opts.accept && !opts.accept()) {
      unlinkSync(tmp);
      return false;
    }
    renameSync(tmp, to);
    return size;
  } catch (e: any) {
    if (fd !== undefined) closeSync(fd);
    rmSync(tmp, { force: true });
    if (e?.code === "ENOENT") return undefined;
    throw e;
  }
}

/** Size of a file, or undefined when there is none. */
export function fileSize(path: string): number | undefined {
  try {
    return lstatSync(path).size;
  } catch (e: any) {
    if (e?.code === "ENOENT") return undefined;
    throw e;
  }
}

/**
 * Replaces `to` with a copy of the directory `from` (keys/, tls/: a few small files, copied
 * whole): written beside it, fsynced, then swapped in. Answers how many files it copied; 0 and
 * no `to` when `from` does not exist.
 */
export function replaceWithCopy(from: string, to: string): number {
  const fresh = tempBeside(to);
  let copied: number;
  try {
    copied = copyTree(from, fresh);
  } catch (e: any) {
    rmSync(fresh, { recursive: true, force: true });
    if (e?.code !== "ENOENT") throw e;
    rmSync(to, { recursive: true, force: true });
    return 0;
  }
  const old = tempBeside(to);
  try {
    renameSync(to, old);
  } catch (e: any) {
    if (e?.code !== "ENOENT") throw e;
  }
  renameSync(fresh, to);
  rmSync(old, { recursive: true, force: true });
  fsyncDir(dirname(to));
  return copied;
}

function copyTree(from: string, to: string): number {
  const entries = readdirSync(from, { withFileTypes: true });
  mkdirSync(to, { recursive: true, mode: 0o700 });
  let n = 0;
  for (const entry of entries) {
    const src = join(from, entry.name);
    const dst = join(to, entry.name);
    if (entry.isDirectory()) n += copyTree(src, dst);
    else if (entry.isFile()) {
      const bytes = readFileSync(src);
      const fd = openSync(dst, "wx", 0o600);
      try {
        for (let off = 0; off < bytes.byteLength; ) off += writeSync(fd, bytes, off, bytes.byteLength - off);
        fsyncSync(fd);
      } finally {
        closeSync(fd);
      }
      n++;
    }
  }
  fsyncDir(to);
  return n;
}
