// The blob half of `berth migrate`: every blob the source's metadata names is streamed from the
// source store into the target store through the target's own upload path (so a bucket gets its
// multipart upload, a directory its fsynced rename), hashed on the way and committed only when
// its bytes hash to its digest and have the recorded size. A blob the target holds already with
// the right size is re-hashed there and kept when correct (a run that stopped part way resumes).
import { digestHasher, isDigestAlgorithm } from "../../oci/digest";
import type { BlobStore } from "../../store/blobs/blobStore";

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
