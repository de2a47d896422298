// The blob half of `berth migrate`: every blob the source's metadata names is streamed from the
// source store into the target store through the target's own upload path (so a bucket gets its
// multipart upload, a directory its fsynced rename), hashed on the way and committed only when
// its bytes hash to its digest and have the recorded size. A blob the target holds already with
// the right size is re-hashed there and kept when correct (a run that stopped part way resumes).
import { digestHasher, isDigestAlgorithm } from "../../oci/digest";
import type { BlobStore } from "../../store/blobs/blobStore";
import { CliError } from "../accounts";
import { formatBytes, inParallel } from "../backupPlan";

export interface NamedBlob {
  digest: string;
  size: number;
}

export type BlobOutcome = "copied" | "present" | { problem: string };

/** Hashes a stream with the digest's algorithm: "alg:hex", and the bytes seen. */
async function hashStream(digest: string, stream: ReadableStream<Uint8Array>): Promise<{ actual: string; bytes: number }> {
  const alg = digest.split(":")[0]!;
  if (!isDigestAlgorithm(alg)) throw new Error(`${digest}: not a digest Berth stores`);
  const hasher = digestHasher(alg);
  let bytes = 0;
  for await (const chunk of stream) {
    hasher.update(chunk);
    bytes += chunk.byteLength;
  }
  return { actual: `${alg}:${hasher.digest("hex")}`, bytes };
}

/** Whether `store` holds `blob` with its size and bytes that hash to its digest. */
async function holdsIntact(store: BlobStore, blob: NamedBlob): Promise<boolean> {
  const there = await store.stat(blob.digest);
  if (!there.exists || there.size !== blob.size) return false;
  return (await hashStream(blob.digest, store.read(blob.digest).stream())).actual === blob.digest;
}

/** Puts one blob of `from` into `to`, verified; a problem names what is wrong with the source's copy. */
export async function moveBlob(from: BlobStore, to: BlobStore, blob: NamedBlob): Promise<BlobOutcome> {
  if (await holdsIntact(to, blob)) return "present";
  const here = await from.stat(blob.digest);
  if (!here.exists) return { problem: "missing from the source's blob store" };
  if (here.size !== blob.size) return { problem: `${here.size} bytes in the source's blob store where the database says ${blob.size}` };
  const alg = blob.digest.split(":")[0]!;
  if (!isDigestAlgorithm(alg)) return { problem: "not a digest Berth stores" };
  const hasher = digestHasher(alg);
  const id = crypto.randomUUID();
  await to.createUpload(id);
  let committed = false;
  try {
    const appended = await to.appendUpload(id, 0, from.read(blob.digest).stream(), (chunk) => hasher.update(chunk));
    if (appended.aborted) return { problem: `reading it from the source broke off after ${appended.written} bytes` };
    const actual = `${alg}:${hasher.digest("hex")}`;
    if (actual !== blob.digest) return { problem: `its bytes in the source hash to ${actual}` };
    if (appended.written !== blob.size) return { problem: `${appended.written} bytes read where the database says ${blob.size}` };
    await to.commitUpload(id, blob.digest);
    committed = true;
    return "copied";
  } finally {
    if (!committed) await to.deleteUpload(id);
  }
}

export interface BlobTally {
  /** Every digest the source's metadata names. */
  named: Set<string>;
  total: number;
  copied: number;
  present: number;
  bytes: number;
}

/** Blobs moved at once: each is a stream in and a stream out. */
const BLOBS_AT_ONCE = 4;

/**
 * Moves every blob of `pages` (the source's `blobs` rows); throws, naming each digest, when any is
 * missing or damaged in the source, after trying them all (so one run lists every problem).
 */
export async function moveBlobs(
  pages: AsyncIterable<NamedBlob[]>,
  total: number,
  stores: { from: BlobStore; to: BlobStore },
  progress: (line: string) => void,
): Promise<BlobTally> {
  const tally: BlobTally = { named: new Set(), total, copied: 0, present: 0, bytes: 0 };
  const problems: string[] = [];
  let lastReport = performance.now();
  for await (const page of pages) {
    await inParallel(page, BLOBS_AT_ONCE, async (blob) => {
      tally.named.add(blob.digest);
      const outcome = await moveBlob(stores.from, stores.to, blob);
      if (typeof outcome === "object") problems.push(`${blob.digest}: ${outcome.problem}`);
      else {
        tally[outcome]++;
        tally.bytes += blob.size;
      }
      if (performance.now() - lastReport > 2000) {
        lastReport = performance.now();
        progress(`  blobs: ${tally.copied + tally.present + problems.length} of ${total} (${formatBytes(tally.bytes)})`);
      }
    });
  }
  if (problems.length > 0) {
    const list = `${problems.slice(0, 10).join("\n  ")}${problems.length > 10 ? "\n  …" : ""}`;
    throw new CliError(`${problems.length} of ${total} blobs of the source cannot be moved; no metadata was written (run berth fsck on the source):\n  ${list}`, 1);
  }
  progress(`  blobs: ${total}: ${tally.copied} copied, ${tally.present} already there; every one verified (${formatBytes(tally.bytes)})`);
  return tally;
}

/** Blobs the source store holds that no metadata names: counted, not copied (nothing could reach them). */
export async function unreferencedBlobs(store: BlobStore, named: Set<string>): Promise<{ count: number; bytes: number }> {
  let count = 0;
  let bytes = 0;
  for await (const digest of store.list()) {
    if (named.has(digest)) continue;
    count++;
    const s = await store.stat(digest);
    if (s.exists) bytes += s.size;
  }
  return { count, bytes };
}
